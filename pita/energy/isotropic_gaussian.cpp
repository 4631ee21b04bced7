#include "pita/energy/isotropic_gaussian.h"

#include <cmath>
#include <string>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include "pita/core/error.h"
#include "pita/core/tensor_format.h"
#include "pita/core/units.h"

namespace pita {

IsotropicGaussian::IsotropicGaussian(int64_t n_particles, int64_t spatial_dim, double variance)
    : n_particles_(n_particles), spatial_dim_(spatial_dim), variance_(variance) {
    PITA_CHECK(n_particles >= 1 && spatial_dim >= 1,
               "[isotropic_gaussian] n_particles and spatial_dim: got {} and {}; expected both "
               ">= 1.",
               n_particles, spatial_dim);
    PITA_CHECK(std::isfinite(variance) && variance > 0,
               "[isotropic_gaussian] variance: got {}; expected a finite value > 0. It is s², not "
               "the standard deviation.",
               variance);
}

nlohmann::json IsotropicGaussian::config() const {
    // "gaussian" is the factory's type key, so run.json round-trips through make_energy().
    return {{"type", "gaussian"},
            {"n_particles", n_particles_},
            {"spatial_dim", spatial_dim_},
            {"variance", variance_}};
}

at::Tensor IsotropicGaussian::noised_variance(const at::Tensor& x, const at::Tensor& h,
                                              const char* function) const {
    PITA_CHECK(x.defined() && x.dim() == 2 && x.size(1) == flat_dim(),
               "[isotropic_gaussian] {}: wrong x shape: got {}; expected [batch, {}] (flat).",
               function, shape_of(x), flat_dim());
    PITA_CHECK(x.scalar_type() == at::kFloat || x.scalar_type() == at::kDouble,
               "[isotropic_gaussian] {}: unsupported dtype: got {}; expected float32 or float64.",
               function, c10::toString(x.scalar_type()));
    PITA_CHECK(h.defined() &&
                   (h.dim() == 0 || (h.dim() == 1 && (h.size(0) == 1 || h.size(0) == x.size(0)))),
               "[isotropic_gaussian] {}: wrong h shape: got {}; expected a 0-d tensor or [{}] "
               "(one noise variance per row).",
               function, shape_of(h), x.size(0));
    return h.to(x.device(), x.scalar_type()).reshape({-1}) + variance_;
}

at::Tensor IsotropicGaussian::log_prob(const at::Tensor& x, const at::Tensor& h) const {
    const at::Tensor v = noised_variance(x, h, "log_prob");
    return -x.square().sum(1) / (2.0 * v) -
           0.5 * static_cast<double>(flat_dim()) * ((2.0 * kPi) * v).log();
}

at::Tensor IsotropicGaussian::score(const at::Tensor& x, const at::Tensor& h) const {
    const at::Tensor v = noised_variance(x, h, "score");
    return -x / v.unsqueeze(1);
}

at::Tensor IsotropicGaussian::laplacian(const at::Tensor& x, const at::Tensor& h) const {
    const at::Tensor v = noised_variance(x, h, "laplacian");
    // v may be [1] for a 0-d h; the result is always one value per row.
    return (-static_cast<double>(flat_dim()) / v).expand({x.size(0)}).clone();
}

at::Tensor IsotropicGaussian::dlogp_dh(const at::Tensor& x, const at::Tensor& h) const {
    const at::Tensor v = noised_variance(x, h, "dlogp_dh");
    return x.square().sum(1) / (2.0 * v.square()) - 0.5 * static_cast<double>(flat_dim()) / v;
}

at::Tensor IsotropicGaussian::sample(int64_t n, double h, at::Generator& gen) const {
    PITA_CHECK(n >= 0, "[isotropic_gaussian] sample: n: got {}; expected >= 0.", n);
    PITA_CHECK(std::isfinite(h) && h >= 0,
               "[isotropic_gaussian] sample: h: got {}; expected a finite h >= 0.", h);
    PITA_CHECK(gen.device().is_cpu(),
               "[isotropic_gaussian] sample: generator on {}; expected a CPU generator (samples "
               "are made on the CPU in float64).",
               gen.device().str());
    return at::randn({n, flat_dim()}, gen, at::TensorOptions().dtype(at::kDouble)) *
           std::sqrt(variance_ + h);
}

at::Tensor IsotropicGaussian::compute_energy(const at::Tensor& x) const {
    return x.square().sum({1, 2}) / (2.0 * variance_) +
           0.5 * static_cast<double>(flat_dim()) * std::log((2.0 * kPi) * variance_);
}

EnergyAndForce IsotropicGaussian::compute_energy_and_force(const at::Tensor& x) const {
    return {compute_energy(x), -x / variance_};
}

}  // namespace pita
