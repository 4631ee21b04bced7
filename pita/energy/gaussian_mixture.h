#pragma once
// A mixture of isotropic Gaussians: a test target whose normaliser, samples and Gaussian-noised
// marginals are all exact (spec §11.5). Convolving with N(0, h·I) adds h to every component
// variance, so p_h is again a mixture and log_prob, score, laplacian and dlogp_dh are closed form.
#include <memory>

#include "pita/core/tensor_fwd.h"
#include "pita/energy/energy.h"
#include "pita/energy/noised_density.h"

namespace pita {

/// p(x) = Σ_k w_k N(x; m_k, v_k I) in d dimensions.
///
/// As an Energy it is one "particle" with d coordinates (x is [batch, 1, d]) and
/// E(x) = −log p(x) exactly (normalised, no dropped constant), with an analytic force.
/// As a NoisedDensity it takes flat x [batch, d].
///
/// Invariants: variances > 0, weights ≥ 0 and normalised to sum 1. Parameters are stored once in
/// float64 on the CPU and cast to x's dtype and device per call; the object is immutable.
class GaussianMixture final : public Energy, public NoisedDensity {
  public:
    /// @param means      [K, d], component centres, same units as x
    /// @param variances  [K], per-component isotropic variance v_k (> 0), units of x²
    /// @param weights    [K], ≥ 0, not all zero; normalised inside
    /// @throws ConfigError on wrong shapes, non-finite values, v_k ≤ 0, w_k < 0 or Σ w = 0
    GaussianMixture(at::Tensor means, at::Tensor variances, at::Tensor weights);

    /// The 40-mode 2-D mixture of the reference code (spec §1.5, fab's GMM): means
    /// (U[0,1) − 0.5)·2·40 from a CPU generator seeded 0 (the same numbers as torch.manual_seed(0);
    /// torch.rand(40, 2)), per-dimension std softplus(1) = log(1 + e), equal weights.
    static std::unique_ptr<GaussianMixture> pita_gmm40();

    std::string name() const override { return "gmm"; }
    int64_t n_particles() const override { return 1; }
    int64_t spatial_dim() const override { return dim_; }
    bool translation_invariant() const override { return false; }
    /// {type: "gmm", n_components, dim}
    nlohmann::json config() const override;

    int64_t n_components() const { return n_components_; }
    /// [K, d], float64, CPU
    const at::Tensor& means() const { return means_; }
    /// [K], float64, CPU
    const at::Tensor& variances() const { return variances_; }
    /// [K], float64, CPU, sums to 1
    const at::Tensor& weights() const { return weights_; }

    int64_t flat_dim() const override { return dim_; }
    at::Tensor log_prob(const at::Tensor& x, const at::Tensor& h) const override;
    at::Tensor score(const at::Tensor& x, const at::Tensor& h) const override;
    at::Tensor laplacian(const at::Tensor& x, const at::Tensor& h) const override;
    at::Tensor dlogp_dh(const at::Tensor& x, const at::Tensor& h) const override;
    /// @throws ConfigError if n < 0, h < 0 or gen is not a CPU generator
    at::Tensor sample(int64_t n, double h, at::Generator& gen) const override;

    /// Index of the most responsible component of p_0 for each row.
    /// @param x  [batch, d] or [batch, 1, d], float32 or float64, any device
    /// @return   [batch], int64, on x's device
    at::Tensor mode_assignment(const at::Tensor& x) const;

    /// A mixture approximating p^{1/T} (normalised): components N(m_k, T·v_k I) with weights
    /// ∝ w_k^{1/T} (2π v_k)^{d(1−1/T)/2}. A power of a mixture is not a mixture, so this is exact
    /// only in the limit of non-overlapping modes (each mode's mass then integrates separately);
    /// use it as a reference for well-separated mixtures, never as the tempered density itself.
    /// @param temperature  T > 0 (T = 1 gives the same mixture)
    std::unique_ptr<GaussianMixture> tempered_approximation(double temperature) const;

  protected:
    at::Tensor compute_energy(const at::Tensor& x) const override;
    EnergyAndForce compute_energy_and_force(const at::Tensor& x) const override;

  private:
    struct Terms;
    /// Per-component pieces of p_h at flat x [batch, d], in x's dtype; h already validated.
    Terms terms(const at::Tensor& x, const at::Tensor& h) const;
    void check_input(const at::Tensor& x, const at::Tensor& h, const char* function) const;

    at::Tensor means_;      // [K, d] float64 CPU
    at::Tensor variances_;  // [K] float64 CPU
    at::Tensor weights_;    // [K] float64 CPU, normalised
    int64_t n_components_ = 0;
    int64_t dim_ = 0;
};

}  // namespace pita
