#include "pita/model/energy_model.h"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/grad_mode.h>

#include "pita/core/error.h"
#include "pita/model/preconditioning.h"

namespace pita {

namespace {
bool wants(EnergyWant want, EnergyWant bit) {
    return (static_cast<unsigned>(want) & static_cast<unsigned>(bit)) != 0;
}
}  // namespace

EnergyModel::EnergyModel(std::unique_ptr<Backbone> backbone, double sigma_data)
    : backbone_(std::move(backbone)), sigma_data_(sigma_data) {
    PITA_ASSERT(backbone_ != nullptr, "EnergyModel needs a backbone");
    PITA_CHECK(sigma_data > 0, "[model] sigma_data: got {}; expected > 0.", sigma_data);
}

at::Tensor EnergyModel::energy(const at::Tensor& x, const at::Tensor& h,
                               const at::Tensor& beta) const {
    const int64_t batch = x.size(0);
    const at::Tensor hb = per_row(h, batch);
    const Preconditioning p = precondition(hb, batch, sigma_data_);
    const at::Tensor y = p.c_in * x;
    const at::Tensor f = backbone_->forward(p.c_noise, y, per_row(beta, batch));
    // With s = σ_data²: D_E = x − h∇U = c_skip·x + c_out·∇_y⟨F, y⟩ needs the quadratic
    // |x|²/(2(s+h)) and the factor sqrt(s/h) on the network term (s = 1: spec §3.2).
    const double s = sigma_data_ * sigma_data_;
    const at::Tensor quadratic = x.pow(2).sum({1, 2}) / (2.0 * (s + hb));
    return quadratic - (f * y).sum({1, 2}) * (s / hb).sqrt();
}

EnergyModelOutputs EnergyModel::evaluate(const at::Tensor& x_in, const at::Tensor& h_in,
                                         const at::Tensor& beta, EnergyWant want,
                                         bool create_graph) const {
    torch::autograd::AutoGradMode grad_on(true);
    const bool want_x = wants(want, EnergyWant::GradX);
    const bool want_h = wants(want, EnergyWant::DEnergyDh);
    // Leaves for the derivatives; when the caller's x already requires grad (training), keep it
    // in the graph so parameter gradients flow through ∇_x U.
    at::Tensor x = x_in;
    if (want_x && !x.requires_grad()) x = x_in.detach().requires_grad_(true);
    at::Tensor h = per_row(h_in, x_in.size(0));
    if (want_h && !h.requires_grad()) h = h.detach().clone().requires_grad_(true);
    EnergyModelOutputs out;
    out.energy = energy(x, h, beta);
    std::vector<at::Tensor> inputs;
    if (want_x) inputs.push_back(x);
    if (want_h) inputs.push_back(h);
    if (!inputs.empty()) {
        // Rows are independent, so the gradient of the sum is the per-row gradient.
        const auto grads = torch::autograd::grad({out.energy.sum()}, inputs, {},
                                                 /*retain_graph=*/true, create_graph);
        std::size_t i = 0;
        if (want_x) out.grad_x = grads[i++];
        if (want_h) out.du_dh = grads[i++];
    }
    if (!create_graph) {
        out.energy = out.energy.detach();
        if (out.grad_x.defined()) out.grad_x = out.grad_x.detach();
        if (out.du_dh.defined()) out.du_dh = out.du_dh.detach();
    }
    return out;
}

at::Tensor EnergyModel::denoise(const at::Tensor& x, const at::Tensor& h, const at::Tensor& beta,
                                bool create_graph) const {
    const EnergyModelOutputs o = evaluate(x, h, beta, EnergyWant::GradX, create_graph);
    return x - per_row(h, x.size(0)).view({-1, 1, 1}) * o.grad_x;
}

}  // namespace pita
