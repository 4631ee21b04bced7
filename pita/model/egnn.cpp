#include "pita/model/egnn.h"

#include <algorithm>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include "pita/core/error.h"

namespace pita {
namespace {

int64_t n_conditions(const EgnnOptions& o) {
    return (o.condition_on_time ? 1 : 0) + (o.condition_on_temperature ? 1 : 0);
}

/// One E_GCL layer (spec §3.3 step 3). Submodule names follow the reference (edge_mlp.0, ...), so
/// a PyTorch state_dict maps onto named_parameters() one to one.
class EgclImpl : public torch::nn::Module {
  public:
    EgclImpl(int64_t hidden, bool attention, bool tanh, double coords_range_layer)
        : hidden_(hidden), attention_(attention), tanh_(tanh), coords_range_(coords_range_layer) {
        // [h_i, h_j, radial_ij, edge_attr_ij] -> hidden
        edge_in_ = torch::nn::Linear(2 * hidden + 2, hidden);
        edge_out_ = torch::nn::Linear(hidden, hidden);
        edge_mlp_ = register_module(
            "edge_mlp",
            torch::nn::Sequential(edge_in_, torch::nn::SiLU(), edge_out_, torch::nn::SiLU()));
        node_mlp_ =
            register_module("node_mlp", torch::nn::Sequential(torch::nn::Linear(2 * hidden, hidden),
                                                              torch::nn::SiLU(),
                                                              torch::nn::Linear(hidden, hidden)));
        torch::nn::Linear coord_last(torch::nn::LinearOptions(hidden, 1).bias(false));
        {
            torch::NoGradGuard no_grad;
            torch::nn::init::xavier_uniform_(coord_last->weight, 0.001);
        }
        coord_mlp_ =
            register_module("coord_mlp", torch::nn::Sequential(torch::nn::Linear(hidden, hidden),
                                                               torch::nn::SiLU(), coord_last));
        if (attention_)
            att_mlp_ =
                register_module("att_mlp", torch::nn::Sequential(torch::nn::Linear(hidden, 1)));
    }

    /// Dense form over all ordered pairs: tensors [B, N, N, ·], the diagonal masked out of the
    /// message sum (its coordinate term vanishes by itself since diff_ii = 0). Measured against
    /// the reference's edge-list form (index_select/cat/index_add over N(N−1) edges), LJ-13,
    /// float32, 1 thread, this 2-core machine: forward 101-133 vs 107-132 ms and forward plus
    /// double backward 1070-1170 vs 1075-1280 ms at batch 512 (12-14 vs 11-12 ms and 91-105 vs
    /// 91-112 ms at batch 64), i.e. equal within noise; dense kept as the simpler. Outputs agree
    /// to 1e-15 relative in float64.
    /// @param h         [B, N, hidden]
    /// @param p         [B, N, d]
    /// @param edge_attr [B, N, N, 1], |y_i − y_j|² of the input coordinates
    /// @param off_diag  [N, N, 1], 1 for i≠j, 0 on the diagonal
    /// @param update_nodes  false returns h unchanged (its new value would be unused)
    std::pair<at::Tensor, at::Tensor> forward(const at::Tensor& h, const at::Tensor& p,
                                              const at::Tensor& edge_attr,
                                              const at::Tensor& off_diag, bool update_nodes) {
        const at::Tensor diff = p.unsqueeze(2) - p.unsqueeze(1);  // p_i − p_j
        const at::Tensor radial = diff.pow(2).sum(-1, /*keepdim=*/true);
        const at::Tensor diff_n = diff / ((radial + 1e-8).sqrt() + 1.0);

        // The first edge layer applied to cat([h_i, h_j, radial, edge_attr]) is split by input
        // block, so the h terms cost N rows instead of N² (same function, same parameters).
        const at::Tensor& w = edge_in_->weight;  // [hidden, 2·hidden + 2]
        const at::Tensor a_i = torch::matmul(h, w.narrow(1, 0, hidden_).t());
        const at::Tensor a_j = torch::matmul(h, w.narrow(1, hidden_, hidden_).t());
        const at::Tensor pre = a_i.unsqueeze(2) + a_j.unsqueeze(1) +
                               radial * w.select(1, 2 * hidden_) +
                               edge_attr * w.select(1, 2 * hidden_ + 1) + edge_in_->bias;
        at::Tensor m = torch::silu(edge_out_->forward(torch::silu(pre)));
        if (attention_) m = m * torch::sigmoid(att_mlp_->forward(m));

        at::Tensor phi_x = coord_mlp_->forward(m);  // [B, N, N, 1]
        if (tanh_) phi_x = coords_range_ * torch::tanh(phi_x);
        const at::Tensor p_next = p + (diff_n * phi_x).sum(2);

        if (!update_nodes) return {h, p_next};
        const at::Tensor m_agg = (m * off_diag).sum(2);  // sum aggregation over j≠i
        const at::Tensor h_next = h + node_mlp_->forward(torch::cat({h, m_agg}, -1));
        return {h_next, p_next};
    }

  private:
    int64_t hidden_;
    bool attention_;
    bool tanh_;
    double coords_range_;
    torch::nn::Linear edge_in_{nullptr};
    torch::nn::Linear edge_out_{nullptr};
    torch::nn::Sequential edge_mlp_{nullptr};
    torch::nn::Sequential node_mlp_{nullptr};
    torch::nn::Sequential coord_mlp_{nullptr};
    torch::nn::Sequential att_mlp_{nullptr};
};
TORCH_MODULE(Egcl);

class EgnnNetImpl : public torch::nn::Module {
  public:
    explicit EgnnNetImpl(const EgnnOptions& o) {
        const int64_t in_node_nf = std::max<int64_t>(n_conditions(o), 1);
        embedding_in_ = register_module("embedding_in", torch::nn::Linear(in_node_nf, o.hidden));
        // The reference's embedding_out (hidden → in_node_nf) never reaches the output; it is
        // left out, so the parameter count is the spec's "used" number (§3.5).
        const double coords_range_layer = o.coords_range / static_cast<double>(o.n_layers);
        for (int64_t l = 0; l < o.n_layers; ++l)
            layers_.push_back(
                register_module("gcl_" + std::to_string(l),
                                Egcl(o.hidden, o.attention, o.tanh, coords_range_layer)));
        // Drawn last, so the reference's layers get the same initial weights with or without it;
        // unit variance like a torch::nn::Embedding.
        if (o.atom_embedding)
            atom_embed = register_parameter("atom_embed", torch::randn({o.n_particles, o.hidden}));
    }

    torch::nn::Linear embedding_in_{nullptr};
    std::vector<Egcl> layers_;
    at::Tensor atom_embed;  ///< [N, hidden], only with atom_embedding
};
TORCH_MODULE(EgnnNet);

}  // namespace

struct Egnn::Impl {
    EgnnNet net{nullptr};
};

Egnn::Egnn(EgnnOptions options) : options_(options), impl_(std::make_unique<Impl>()) {
    PITA_CHECK(options_.n_particles >= 2 && options_.spatial_dim >= 1 && options_.hidden >= 1 &&
                   options_.n_layers >= 1 && options_.coords_range > 0,
               "[egnn] invalid options: got n_particles={}, spatial_dim={}, hidden={}, "
               "n_layers={}, coords_range={}; expected n_particles >= 2, spatial_dim, hidden and "
               "n_layers >= 1, coords_range > 0.",
               options_.n_particles, options_.spatial_dim, options_.hidden, options_.n_layers,
               options_.coords_range);
    impl_->net = EgnnNet(options_);
}

Egnn::~Egnn() = default;
Egnn::Egnn(Egnn&&) noexcept = default;
Egnn& Egnn::operator=(Egnn&&) noexcept = default;

at::Tensor Egnn::forward(const at::Tensor& c_noise, const at::Tensor& y,
                         const at::Tensor& beta) const {
    const int64_t n = options_.n_particles;
    const int64_t d = options_.spatial_dim;
    PITA_CHECK(y.dim() == 3 && y.size(1) == n && y.size(2) == d,
               "[egnn] y: got shape [{}]; expected [batch, {}, {}].", fmt::join(y.sizes(), ", "), n,
               d);
    const int64_t batch = y.size(0);
    PITA_CHECK(c_noise.numel() == batch && beta.numel() == batch,
               "[egnn] c_noise and beta: got {} and {} elements; expected batch = {} each.",
               c_noise.numel(), beta.numel(), batch);

    // Every node gets the same (c_noise, β). The reference concatenates [c…c, β…β] and reshapes
    // it to [N, 2], scrambling the features across nodes and breaking permutation equivariance
    // (spec §9.3); this port fixes that deliberately.
    std::vector<at::Tensor> features;
    if (options_.condition_on_time) features.push_back(c_noise.reshape({batch, 1}).to(y.dtype()));
    if (options_.condition_on_temperature)
        features.push_back(beta.reshape({batch, 1}).to(y.dtype()));
    const at::Tensor h0 = features.empty()
                              ? torch::ones({batch, n, 1}, y.options())
                              : torch::cat(features, 1)
                                    .unsqueeze(1)
                                    .expand({batch, n, static_cast<int64_t>(features.size())});

    at::Tensor h = impl_->net->embedding_in_->forward(h0);
    if (options_.atom_embedding) h = h + impl_->net->atom_embed;
    at::Tensor p = y;
    const at::Tensor edge_attr = (y.unsqueeze(2) - y.unsqueeze(1)).pow(2).sum(-1, true);
    const at::Tensor off_diag =
        (1.0 - torch::eye(n, y.options())).unsqueeze(-1);  // [N, N, 1], no self-edges
    // The last layer's node update cannot reach the output (F uses coordinates only), so it is
    // skipped; its parameters stay, as in the reference, and get no gradient.
    auto& layers = impl_->net->layers_;
    for (std::size_t l = 0; l < layers.size(); ++l)
        std::tie(h, p) = layers[l]->forward(h, p, edge_attr, off_diag, l + 1 < layers.size());

    const at::Tensor out = p - y;
    return out - out.mean(1, /*keepdim=*/true);
}

torch::nn::Module& Egnn::module() const { return *impl_->net; }

std::unique_ptr<Backbone> Egnn::clone() const {
    auto copy = std::make_unique<Egnn>(options_);
    copy_parameters_into(*copy);
    return copy;
}

nlohmann::json Egnn::config() const {
    return {{"type", "egnn"},
            {"n_particles", options_.n_particles},
            {"spatial_dim", options_.spatial_dim},
            {"hidden", options_.hidden},
            {"n_layers", options_.n_layers},
            {"attention", options_.attention},
            {"tanh", options_.tanh},
            {"coords_range", options_.coords_range},
            {"condition_on_time", options_.condition_on_time},
            {"condition_on_temperature", options_.condition_on_temperature},
            {"aggregation", "sum"},
            {"atom_embedding", options_.atom_embedding},
            {"node_features", options_.atom_embedding ? "conditions_plus_per_particle_embedding"
                                                      : "per_node_fixed"}};
}

}  // namespace pita
