#pragma once
// DW-4: the multi-particle double-well pair potential of the equivariant-flow literature
// (Köhler et al. 2020; bgflow MultiDoubleWellPotential), in reduced units:
//   d_ij = sqrt(|x_i − x_j|² + regulariser)          (bgflow's distance regulariser, as in LJ)
//   E(x) = (1/τ) Σ_{i<j} [a·u_ij + b·u_ij² + c·u_ij⁴],   u_ij = d_ij − d0
// With the defaults (a = 0, b = −4, c = 0.9, d0 = 4) each pair has two wells at
// u = ±sqrt(−b/(2c)) ≈ ±1.49. Note bgflow names the coefficients differently (its `a` is the
// quartic and its `c` a constant); the values here follow Köhler et al.'s formula.
#include "pita/core/tensor_fwd.h"
#include "pita/energy/energy.h"

namespace pita {

struct DoubleWellParams {
    int64_t n_particles = 4;
    int64_t spatial_dim = 2;
    double a = 0.0;             ///< linear coefficient
    double b = -4.0;            ///< quadratic coefficient
    double c = 0.9;             ///< quartic coefficient
    double d0 = 4.0;            ///< pair distance offset
    double tau = 1.0;           ///< divides the energy
    double regulariser = 1e-6;  ///< added to |x_i − x_j|² inside the sqrt
};

/// Pairwise double-well energy, translation and rotation invariant. Energy and analytic forces
/// are plain LibTorch ops (any device, float32/float64, differentiable). Immutable.
class DoubleWell final : public Energy {
  public:
    /// @throws ConfigError if n_particles < 2, spatial_dim < 1, τ ≤ 0, regulariser < 0 or a
    ///         coefficient is not finite
    explicit DoubleWell(DoubleWellParams params = {});

    std::string name() const override { return "double_well"; }
    int64_t n_particles() const override { return params_.n_particles; }
    int64_t spatial_dim() const override { return params_.spatial_dim; }
    bool translation_invariant() const override { return true; }
    /// {type: "double_well", n_particles, spatial_dim, a, b, c, d0, tau, regulariser}
    nlohmann::json config() const override;
    const DoubleWellParams& params() const { return params_; }

  protected:
    at::Tensor compute_energy(const at::Tensor& x) const override;
    EnergyAndForce compute_energy_and_force(const at::Tensor& x) const override;

  private:
    EnergyAndForce evaluate(const at::Tensor& x, bool want_force) const;
    DoubleWellParams params_;
};

}  // namespace pita
