#pragma once
// What happens to the particles after the last SDE step (spec §5.6–5.7), both optional:
//   1. importance correction to the true target at the new temperature T' = T/γ:
//        log w = −E(x)/T' + γ·U(x, t = 0) + a,  then resampling
//      The model density the particles follow is ∝ exp(−γU_0); E is the real energy. (Where we
//      knowingly differ: the reference evaluates U at t = 0.1, the end of its resampling window,
//      not at t = 0 where the particles are; and it clamps w at its 0.9 quantile — optional
//      here, off by default.)
//   2. relaxation by MALA on the true target at T' with an adapted step size (the reference's
//      step size of 1e-13 moves nothing; spec §5.7).
// Both count their target-energy evaluations.
#include <cstdint>

#include <ATen/core/Tensor.h>  // the result structs hold tensors by value

#include "pita/anneal/annealing_model.h"
#include "pita/energy/energy.h"
#include "pita/smc/resampling.h"

namespace pita {

struct CorrectionResult {
    at::Tensor x;                  ///< resampled particles [N, n, d]
    at::Tensor energy;             ///< E(x) of the resampled particles [N], float64
    double ess = 0.0;              ///< of the correction weights, before resampling
    int64_t unique_ancestors = 0;  ///< after resampling
    at::Tensor ancestors;          ///< [N] int64: which input particle each output copies
    int64_t non_finite = 0;        ///< particles whose E or U was not finite (they die)
    int64_t energy_evaluations = 0;
};

/// @param log_weight  [N] float64 weights carried out of the SDE (zeros after a resampling)
/// @param clamp_quantile  > 0 clamps log w above that quantile (the reference's 0.9); 0 = off
CorrectionResult correct_to_target(const Energy& target, double temperature,
                                   const AnnealingModel& model, double gamma, const at::Tensor& x,
                                   const at::Tensor& log_weight, ResamplingScheme scheme,
                                   double clamp_quantile, at::Generator& gen);

struct RelaxationResult {
    at::Tensor x;       ///< [N, n, d]
    at::Tensor energy;  ///< [N], float64
    double acceptance = 0.0;
    double step_size = 0.0;  ///< the shared one, or the median of the per-sample ones
    double min_step_size = 0.0;
    double max_step_size = 0.0;
    int64_t energy_evaluations = 0;
};

/// How the relaxation adapts its MALA step size towards 0.574 acceptance.
enum class RelaxationStepAdaptation {
    PerSample,  ///< one step size per sample (default)
    Shared,     ///< one for all samples
};

/// `steps` MALA steps at `temperature` from `initial_step_size`, adapting as `adaptation` says
/// (adaptation is part of the relaxation: the result is a short non-stationary run that moves each
/// sample towards the target, not a production chain). Per-sample adaptation matters on LJ: with
/// one shared step, the few samples caught with an overlapping pair reject every move and stay
/// at high energy (measured: 6 of 1 024 at T = 1 after 3 000 steps, which alone set energy-W2).
RelaxationResult relax_on_target(
    const Energy& target, double temperature, const at::Tensor& x, int64_t steps,
    double initial_step_size, at::Generator& gen,
    RelaxationStepAdaptation adaptation = RelaxationStepAdaptation::PerSample);

}  // namespace pita
