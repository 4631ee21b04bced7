#include "pita/model/backbone_factory.h"

#include <ATen/core/Tensor.h>

#include <ATen/Context.h>
#include <nlohmann/json.hpp>

#include "pita/core/error.h"
#include "pita/model/dit.h"
#include "pita/model/egnn.h"
#include "pita/model/mlp.h"

namespace pita {
namespace {

// Sizes a CPU or one GPU can hold; beyond them LibTorch fails with an allocation error deep in
// the first forward pass instead of a message that names the key.
const Bounds kWidth = Bounds::between(1, 65536);
const Bounds kDepth = Bounds::between(1, 1024);

Egnn make_egnn(const ConfigNode& m, int64_t n_particles, int64_t spatial_dim) {
    EgnnOptions o;
    o.n_particles = n_particles;
    o.spatial_dim = spatial_dim;
    o.hidden = m.get_int("hidden", o.hidden, kWidth);
    o.n_layers = m.get_int("n_layers", o.n_layers, kDepth);
    o.attention = m.get_bool("attention", o.attention);
    o.tanh = m.get_bool("tanh", o.tanh);
    o.coords_range = m.get_double("coords_range", o.coords_range, Bounds::above(0));
    o.condition_on_time = m.get_bool("condition_on_time", o.condition_on_time);
    o.condition_on_temperature = m.get_bool("condition_on_temperature", o.condition_on_temperature);
    o.atom_embedding = m.get_bool("atom_embedding", o.atom_embedding);
    return Egnn(o);
}

MlpOptions mlp_options(const ConfigNode& m, int64_t n_particles, int64_t spatial_dim) {
    MlpOptions o;
    o.n_particles = n_particles;
    o.spatial_dim = spatial_dim;
    o.hidden = m.get_int("hidden", o.hidden, kWidth);
    o.n_layers = m.get_int("n_layers", o.n_layers, kDepth);
    o.condition_on_time = m.get_bool("condition_on_time", o.condition_on_time);
    o.condition_on_temperature = m.get_bool("condition_on_temperature", o.condition_on_temperature);
    o.mean_free_output = m.get_bool("mean_free_output", o.mean_free_output);
    return o;
}

DitOptions dit_options(const ConfigNode& m, int64_t n_particles, int64_t spatial_dim) {
    DitOptions o;
    o.n_particles = n_particles;
    o.spatial_dim = spatial_dim;
    o.hidden = m.get_int("hidden", o.hidden, kWidth);
    o.cond_dim = m.get_int("cond_dim", o.cond_dim, kWidth);
    o.n_blocks = m.get_int("n_blocks", o.n_blocks, kDepth);
    o.n_heads = m.get_int("n_heads", o.n_heads, kDepth);
    o.mlp_ratio = m.get_int("mlp_ratio", o.mlp_ratio, Bounds::between(1, 64));
    o.dropout = m.get_double("dropout", o.dropout, Bounds::at_least(0).below(1));
    o.condition_on_time = m.get_bool("condition_on_time", o.condition_on_time);
    o.condition_on_temperature = m.get_bool("condition_on_temperature", o.condition_on_temperature);
    o.atom_embedding = m.get_bool("atom_embedding", o.atom_embedding);
    return o;
}

}  // namespace

std::unique_ptr<Backbone> make_backbone(const ConfigNode& model, int64_t n_particles,
                                        int64_t spatial_dim, uint64_t init_seed) {
    const std::string kind = model.get_choice("backbone", "egnn", {"egnn", "mlp", "dit"});
    at::manual_seed(init_seed);
    if (kind == "mlp") return std::make_unique<Mlp>(mlp_options(model, n_particles, spatial_dim));
    if (kind == "dit") return std::make_unique<Dit>(dit_options(model, n_particles, spatial_dim));
    PITA_ASSERT(kind == "egnn", "backbone '{}' passed get_choice but has no builder", kind);
    return std::make_unique<Egnn>(make_egnn(model, n_particles, spatial_dim));
}

double backbone_activation_floats(const nlohmann::json& config, int64_t n_particles) {
    const double n = static_cast<double>(n_particles);
    const std::string type = config.value("type", std::string());
    const double hidden = config.value("hidden", 0.0);
    if (type == "egnn")
        return config.value("n_layers", 0.0) * (4.0 * n * n * hidden + 6.0 * n * hidden);
    if (type == "dit") {
        const double heads = config.value("n_heads", 1.0);
        const double ratio = config.value("mlp_ratio", 4.0);
        return config.value("n_blocks", 0.0) * (n * hidden * (ratio + 10.0) + 3.0 * heads * n * n);
    }
    return config.value("n_layers", 0.0) * 4.0 * hidden + 4.0 * n * 3.0;
}

double read_sigma_data(const ConfigNode& model) {
    // σ_data: the data's per-coordinate standard deviation.
    return model.get_double("sigma_data", 1.0, Bounds::above(0));
}

int64_t count_parameters(const Backbone& b) {
    int64_t n = 0;
    for (const auto& [name, p] : b.named_parameters()) n += p.numel();
    return n;
}

}  // namespace pita
