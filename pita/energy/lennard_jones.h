#pragma once
// Lennard-Jones clusters (LJ-13, LJ-55) in reduced units, exactly as the reference (spec §1.1):
//   r_ij = sqrt(|x_i − x_j|² + 1e-6)
//   E    = energy_factor · Σ_{i≠j} ε[(r_m/r_ij)^12 − 2(r_m/r_ij)^6]      (ordered pairs: 2·Σ_{i<j})
//        + oscillator_scale · ½ Σ_i |x_i − x̄|²                           (x̄: unweighted centroid)
// A dimer at r = r_m contributes −2ε. The harmonic term confines the cluster; the energy is
// translation invariant, so samplers work in the mean-free subspace (3N − 3 dimensions).
#include "pita/energy/energy.h"

namespace pita {

struct LennardJonesParams {
    int64_t n_particles = 13;
    int64_t spatial_dim = 3;
    double epsilon = 1.0;
    double r_min = 1.0;          ///< r_m, the pair minimum
    double energy_factor = 1.0;  ///< 1 as PITA/DEM; 0.5 would give the "eacf" convention
    double oscillator_scale = 1.0;
    double regulariser = 1e-6;  ///< bgflow's eps inside the distance sqrt
};

class LennardJones final : public Energy {
  public:
    explicit LennardJones(LennardJonesParams params = {});

    std::string name() const override { return "lennard_jones"; }
    int64_t n_particles() const override { return params_.n_particles; }
    int64_t spatial_dim() const override { return params_.spatial_dim; }
    bool translation_invariant() const override { return true; }
    nlohmann::json config() const override;
    /// Particles on distinct sites of a cubic lattice of spacing r_m, jittered by 5%: no overlaps.
    at::Tensor initial_configurations(int64_t batch, at::Generator& gen) const override;
    const LennardJonesParams& params() const { return params_; }

  protected:
    at::Tensor compute_energy(const at::Tensor& x) const override;
    EnergyAndForce compute_energy_and_force(const at::Tensor& x) const override;

  private:
    // Two implementations with one contract: a fused CPU loop (no autograd; the fast path for
    // sampling) and LibTorch ops (any device, differentiable). Tests hold them equal.
    EnergyAndForce cpu_kernel(const at::Tensor& x, bool want_force) const;
    EnergyAndForce tensor_ops(const at::Tensor& x, bool want_force) const;
    LennardJonesParams params_;
};

}  // namespace pita
