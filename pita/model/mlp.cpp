#include "pita/model/mlp.h"

#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include "pita/core/error.h"

namespace pita {

struct Mlp::Impl {
    torch::nn::Sequential net;
};

namespace {
int64_t n_conditions(const MlpOptions& o) {
    return (o.condition_on_time ? 1 : 0) + (o.condition_on_temperature ? 1 : 0);
}
}  // namespace

Mlp::Mlp(MlpOptions options) : options_(options), impl_(std::make_unique<Impl>()) {
    PITA_CHECK(options_.hidden >= 1 && options_.n_layers >= 1,
               "[mlp] hidden and n_layers must be >= 1: got hidden={}, n_layers={}.",
               options_.hidden, options_.n_layers);
    const int64_t dim = options_.n_particles * options_.spatial_dim;
    int64_t width = dim + n_conditions(options_);
    for (int64_t l = 0; l < options_.n_layers; ++l) {
        impl_->net->push_back(torch::nn::Linear(width, options_.hidden));
        impl_->net->push_back(torch::nn::SiLU());
        width = options_.hidden;
    }
    torch::nn::Linear out(width, dim);
    {
        torch::NoGradGuard no_grad;
        out->weight.zero_();
        out->bias.zero_();
    }
    impl_->net->push_back(out);
}

Mlp::~Mlp() = default;

at::Tensor Mlp::forward(const at::Tensor& c_noise, const at::Tensor& y,
                        const at::Tensor& beta) const {
    const int64_t batch = y.size(0);
    std::vector<at::Tensor> inputs{y.reshape({batch, -1})};
    if (options_.condition_on_time) inputs.push_back(c_noise.reshape({batch, 1}).to(y.dtype()));
    if (options_.condition_on_temperature) inputs.push_back(beta.reshape({batch, 1}).to(y.dtype()));
    at::Tensor out = impl_->net->forward(torch::cat(inputs, 1)).view(y.sizes());
    if (options_.mean_free_output) out = out - out.mean(1, /*keepdim=*/true);
    return out;
}

torch::nn::Module& Mlp::module() const { return *impl_->net; }

std::unique_ptr<Backbone> Mlp::clone() const {
    auto copy = std::make_unique<Mlp>(options_);
    copy_parameters_into(*copy);
    return copy;
}

nlohmann::json Mlp::config() const {
    return {{"type", "mlp"},
            {"hidden", options_.hidden},
            {"n_layers", options_.n_layers},
            {"condition_on_time", options_.condition_on_time},
            {"condition_on_temperature", options_.condition_on_temperature},
            {"mean_free_output", options_.mean_free_output}};
}

}  // namespace pita
