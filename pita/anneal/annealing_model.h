#pragma once
// What the weighted reverse SDE needs from the diffusion models at (x, t) (spec §5.3): the score
// s, the energy U with ∇_x U and ∂U/∂t, and the divergence of s. Two implementations:
//   LearnedAnnealingModel  the trained score and energy networks at the current β
//   ExactAnnealingModel    an analytic noised density (the oracle of the annealing tests):
//                          s = ∇log p_h, U = −log p_h, ∂U/∂t = −(∂log p_h/∂h)·dh/dt, ∇·s = Δlog p_h
#include <cstdint>

#include <ATen/core/Tensor.h>  // DriftInputs holds tensors by value

#include "pita/energy/noised_density.h"
#include "pita/model/energy_model.h"
#include "pita/model/score_model.h"
#include "pita/schedule/noise_schedule.h"

namespace pita {

struct DriftInputs {
    at::Tensor score;      ///< s(x, t), [B, n, d]
    at::Tensor grad_u;     ///< ∇_x U(x, t), [B, n, d]
    at::Tensor u;          ///< U(x, t), [B]        (undefined unless weights are wanted)
    at::Tensor du_dt;      ///< ∂U/∂t, [B]          (undefined unless weights are wanted)
    at::Tensor div_score;  ///< ∇·s, [B]            (undefined unless weights are wanted)
};

enum class DivergenceEstimator { Exact, Hutchinson };

class AnnealingModel {
  public:
    virtual ~AnnealingModel() = default;
    /// @param x             [B, n, d], detached
    /// @param t             diffusion time in (0, 1]
    /// @param with_weights  also U, ∂U/∂t and ∇·s (the log-weight increment needs them)
    /// @param gen           for stochastic divergence estimators
    virtual DriftInputs evaluate(const at::Tensor& x, double t, bool with_weights,
                                 at::Generator& gen) const = 0;
    /// U(x, t) alone, [B] (the end-of-trajectory importance correction uses t = 0).
    virtual at::Tensor energy(const at::Tensor& x, double t) const = 0;
};

struct LearnedModelOptions {
    double beta = 1.0;  ///< the networks' conditioning: β of the temperature they were trained at
    DivergenceEstimator divergence = DivergenceEstimator::Exact;
    int64_t hutchinson_probes = 1;
    int64_t max_rows = 65536;  ///< rows per network pass in the divergence (memory bound)
    /// false: evaluate() leaves grad_u, u and du_dt undefined and never runs the energy network
    /// (for anneal.tempering_weight: score_only, which does not read them).
    bool energy_network = true;
};

class LearnedAnnealingModel final : public AnnealingModel {
  public:
    /// The models and schedule must outlive this object; evaluation is in eval mode (no dropout).
    LearnedAnnealingModel(const ScoreModel& score, const EnergyModel& energy,
                          const NoiseSchedule& schedule, LearnedModelOptions options);
    DriftInputs evaluate(const at::Tensor& x, double t, bool with_weights,
                         at::Generator& gen) const override;
    at::Tensor energy(const at::Tensor& x, double t) const override;

  private:
    const ScoreModel& score_;
    const EnergyModel& energy_;
    const NoiseSchedule& schedule_;
    LearnedModelOptions options_;
};

class ExactAnnealingModel final : public AnnealingModel {
  public:
    /// @param density  its flat_dim() must equal n_particles·spatial_dim; must outlive this
    ExactAnnealingModel(const NoisedDensity& density, const NoiseSchedule& schedule,
                        int64_t n_particles, int64_t spatial_dim);
    DriftInputs evaluate(const at::Tensor& x, double t, bool with_weights,
                         at::Generator& gen) const override;
    at::Tensor energy(const at::Tensor& x, double t) const override;

  private:
    const NoisedDensity& density_;
    const NoiseSchedule& schedule_;
    int64_t n_particles_;
    int64_t spatial_dim_;
};

}  // namespace pita
