#pragma once
// N(0, s²·I) over n_particles × spatial_dim coordinates: the analytic end-to-end target of spec
// §11.4. Its noised marginal is N(0, (s² + h)·I), so every NoisedDensity query is closed form.
#include "pita/core/tensor_fwd.h"
#include "pita/energy/energy.h"
#include "pita/energy/noised_density.h"

namespace pita {

/// Zero-mean isotropic Gaussian in D = n_particles·spatial_dim dimensions with variance s².
///
/// As an Energy, x is [batch, n_particles, spatial_dim] and E(x) = |x|²/(2s²) + (D/2)·log(2πs²),
/// i.e. exactly −log p(x). It is not translation invariant (the mean is pinned at 0). As a
/// NoisedDensity, x is flat [batch, D]. Immutable; holds only three numbers.
class IsotropicGaussian final : public Energy, public NoisedDensity {
  public:
    /// @param variance  s² > 0, units of x²
    /// @throws ConfigError if n_particles < 1, spatial_dim < 1 or variance is not finite and > 0
    IsotropicGaussian(int64_t n_particles, int64_t spatial_dim, double variance);

    std::string name() const override { return "isotropic_gaussian"; }
    int64_t n_particles() const override { return n_particles_; }
    int64_t spatial_dim() const override { return spatial_dim_; }
    bool translation_invariant() const override { return false; }
    /// {type: "gaussian" (the factory key), n_particles, spatial_dim, variance}
    nlohmann::json config() const override;
    double variance() const { return variance_; }

    int64_t flat_dim() const override { return n_particles_ * spatial_dim_; }
    at::Tensor log_prob(const at::Tensor& x, const at::Tensor& h) const override;
    /// −x/(s² + h)
    at::Tensor score(const at::Tensor& x, const at::Tensor& h) const override;
    /// −D/(s² + h)
    at::Tensor laplacian(const at::Tensor& x, const at::Tensor& h) const override;
    /// −D/(2(s² + h)) + |x|²/(2(s² + h)²)
    at::Tensor dlogp_dh(const at::Tensor& x, const at::Tensor& h) const override;
    /// @throws ConfigError if n < 0, h < 0 or gen is not a CPU generator
    at::Tensor sample(int64_t n, double h, at::Generator& gen) const override;

  protected:
    at::Tensor compute_energy(const at::Tensor& x) const override;
    EnergyAndForce compute_energy_and_force(const at::Tensor& x) const override;

  private:
    /// s² + h as [batch] or [1], in x's dtype and on x's device, after checking shapes.
    at::Tensor noised_variance(const at::Tensor& x, const at::Tensor& h,
                               const char* function) const;

    int64_t n_particles_;
    int64_t spatial_dim_;
    double variance_;
};

}  // namespace pita
