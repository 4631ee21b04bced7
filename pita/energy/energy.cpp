#include "pita/energy/energy.h"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/grad_mode.h>

#include "pita/core/error.h"

namespace pita {

int64_t Energy::degrees_of_freedom() const {
    return translation_invariant() ? dim() - spatial_dim() : dim();
}

void Energy::validate(const at::Tensor& x) const {
    PITA_CHECK(x.defined(), "[energy:{}] input tensor is undefined.", name());
    PITA_CHECK(x.dim() == 3 && x.size(1) == n_particles() && x.size(2) == spatial_dim(),
               "[energy:{}] wrong input shape: got [{}]; expected [batch, {}, {}]. Reshape flat "
               "configurations with x.view({{-1, {}, {}}}).",
               name(), fmt::join(x.sizes(), ", "), n_particles(), spatial_dim(), n_particles(),
               spatial_dim());
    PITA_CHECK(x.scalar_type() == at::kFloat || x.scalar_type() == at::kDouble,
               "[energy:{}] unsupported dtype: got {}; expected float32 or float64.", name(),
               c10::toString(x.scalar_type()));
}

at::Tensor Energy::initial_configurations(int64_t batch, at::Generator& gen) const {
    return at::randn({batch, n_particles(), spatial_dim()}, gen, at::kDouble);
}

at::Tensor Energy::energy(const at::Tensor& x) const {
    validate(x);
    evaluations_.fetch_add(x.size(0), std::memory_order_relaxed);
    return compute_energy(x);
}

EnergyAndForce Energy::energy_and_force(const at::Tensor& x) const {
    validate(x);
    evaluations_.fetch_add(x.size(0), std::memory_order_relaxed);
    return compute_energy_and_force(x);
}

EnergyAndForce Energy::compute_energy_and_force(const at::Tensor& x) const {
    torch::autograd::AutoGradMode enable_grad(true);
    at::Tensor xg = x.detach().requires_grad_(true);
    at::Tensor e = compute_energy(xg);
    // Rows are independent, so the gradient of the sum is the per-row gradient.
    at::Tensor grad = torch::autograd::grad({e.sum()}, {xg})[0];
    return {e.detach(), grad.neg()};
}

}  // namespace pita
