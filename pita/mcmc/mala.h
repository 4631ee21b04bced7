#pragma once
// Batched Metropolis-adjusted Langevin (MALA) on p_T(x) ∝ exp(−E(x)/T), many chains at once.
// Each chain has its own temperature and belongs to an adaptation group (one per temperature in
// parallel tempering); a group's step size is adapted during warm-up towards a target acceptance
// rate, then frozen, so the production chain is a proper time-homogeneous Markov chain.
#include <cstdint>
#include <vector>

#include "pita/energy/energy.h"

namespace pita {

/// Which implementation moves the chains. Auto picks a fused CPU loop for CPU tensors (same
/// arithmetic, one pass per chain) and LibTorch ops elsewhere (any device).
enum class MalaKernel { Auto, Generic };

struct MalaOptions {
    double initial_step_size = 1e-4;   ///< δ: x' = x + (δ/2)∇log p + sqrt(δ)ξ
    double target_acceptance = 0.574;  ///< asymptotically optimal for MALA (Roberts & Rosenthal)
    double adaptation_rate = 1.0;  ///< Robbins–Monro gain a in log δ += a/sqrt(k+1)·(acc − target)
    /// Caps each particle's drift (δ/2)∇log p at drift_clip·sqrt(δ·spatial_dim), i.e. a few noise
    /// scales; 0 disables. Without it a chain that reaches a steep wall (LJ near-overlap) proposes
    /// huge jumps that are always rejected and freezes there. The capped drift is a deterministic
    /// function of the state used in both proposal densities, so the chain stays exact (tamed
    /// MALA).
    double drift_clip = 3.0;
    double min_step_size = 1e-12;
    MalaKernel kernel = MalaKernel::Auto;
    double max_step_size = 10.0;
};

/// Positions, energies and forces of a set of chains; x, energy and force always agree.
struct ChainState {
    at::Tensor x;       ///< [chains, n_particles, spatial_dim]
    at::Tensor energy;  ///< [chains]
    at::Tensor force;   ///< [chains, n_particles, spatial_dim], −∇E
};

class Mala {
  public:
    /// @param temperatures [chains] temperature of each chain (energy units, k_B = 1)
    /// @param groups       adaptation group of each chain, values in [0, n_groups)
    Mala(const Energy& energy, MalaOptions options, std::vector<double> temperatures,
         std::vector<int64_t> groups);

    /// Evaluates x0 (projected mean-free for translation-invariant targets).
    /// @throws NumericalError naming the first chain whose starting energy is not finite.
    ChainState init(const at::Tensor& x0) const;

    /// One MALA step of every chain. Non-finite proposals are rejected. When `adapt`, the group
    /// step sizes move towards the target acceptance (call with adapt=false after warm-up).
    /// @return accepted mask [chains], bool
    at::Tensor step(ChainState& state, at::Generator& gen, bool adapt);

    /// Current step size of each group.
    std::vector<double> step_sizes() const;
    void set_step_sizes(const std::vector<double>& sizes);
    /// Per-chain temperatures as a tensor [chains] in `like`'s dtype/device.
    at::Tensor temperatures_like(const at::Tensor& like) const;

    int64_t n_chains() const { return static_cast<int64_t>(temperatures_.size()); }
    int64_t n_groups() const { return static_cast<int64_t>(log_step_.size()); }
    const Energy& energy() const { return energy_; }

  private:
    /// Both return the accepted mask [chains] and update `s` in place of the rejected/accepted
    /// rows.
    at::Tensor step_generic(ChainState& s, at::Tensor noise, const at::Tensor& u,
                            const at::Tensor& delta) const;
    /// @param delta [chains], float64, CPU
    at::Tensor step_fused_cpu(ChainState& s, const at::Tensor& noise, const at::Tensor& u,
                              const at::Tensor& delta) const;
    /// (δ/2)∇log p, capped per particle as options_.drift_clip says. [chains, n, d]
    at::Tensor drift(const at::Tensor& force, const at::Tensor& delta3,
                     const at::Tensor& temp3) const;

    const Energy& energy_;
    MalaOptions options_;
    std::vector<double> temperatures_;
    std::vector<int64_t> groups_;
    std::vector<double> log_step_;
    int64_t adapt_count_ = 0;
};

}  // namespace pita
