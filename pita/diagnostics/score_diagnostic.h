#pragma once
// Where are the learned scores wrong? (issue 15) For data x0 ~ p_T held out from training, noise
// x_t = x0 + σ·ε at a grid of noise levels σ, and at each level compare both networks' scores —
// the score network's s = (D_S − x)/σ² and the energy network's −∇_x U — with what the true
// noised score s*(x_t) = ∇ log p_{T,σ}(x_t) is known to be:
//   target  E‖s − g0‖² / E‖g0‖²,   g0 = ∇log p_T(x0) = F(x0)/T. Target score matching's identity
//           s*(x_t) = E[g0 | x_t] gives E‖s − g0‖² = E‖s − s*‖² + (E‖g0‖² − E‖s*‖²): the error
//           plus a floor that vanishes as σ → 0, where this column is the network's error.
//   local   E‖s − g_t‖² / E‖g_t‖²,  g_t = F(x_t)/T: s* → g_t as σ → 0 (no floor, but a bias
//           of order σ²·∇Δlog p where the target is steep).
//   dsm     E‖σ·s + ε‖² / E‖ε‖²: the normalised denoising loss; s = 0 gives 1, the exact
//           score 1 − σ²E‖s*‖²/E‖ε‖².
//   cosine  the mean cosine between s and g0, and the norm ratio E‖s‖ / E‖g0‖.
//   skip    every column also for the networks' zero-output baseline, the Gaussian score
//           −x_t/(σ_data² + σ²) that the preconditioning's skip connection gives: what the
//           trained weights add is the difference.
//   exact   E‖s − s*‖² / E‖s*‖² against the closed-form noised score, where the target has one
//           (a NoisedDensity: the Gaussian mixture, the isotropic Gaussian) and T = 1.
//   not L   molecules with chirality centres: the fraction of rows whose denoised estimate
//           x̂ = x_t + σ²·s (Tweedie's formula, for each network) is not the L form, beside that
//           of x_t itself. Data of one handedness should denoise to it: a network that turns L
//           data into D at some σ shows where mirror images enter the samples.
//   weight rate  the standard deviation across rows of h·r, r = ∂U/∂h + ½∇·s − ½⟨∇U, s⟩ (both
//           networks, ∇·s by one Rademacher probe as the annealer estimates it, or exactly,
//           ScoreDiagnosticOptions::exact_divergence): the γ = 1
//           annealing log-weight rate per unit ln h (train/losses.h, heat_equation_residual).
//           Networks of one noised density make it the same for every row (sd 0, up to the
//           probe's noise); its spread at a level is how unequal the SMC weights become there
//           (over an SDE step from h to h + Δh the increment's sd is about this × Δh/h).
// For translation-invariant targets every vector is taken mean-free, as the training noise is.
#include <cstdint>
#include <string>
#include <vector>

#include <ATen/core/Generator.h>
#include <nlohmann/json.hpp>

#include "pita/core/tensor_fwd.h"

namespace pita {

class Energy;
class ScoreModel;
class EnergyModel;

struct ScoreDiagnosticOptions {
    int64_t levels = 12;         ///< noise levels, log-spaced over [sigma_low, sigma_high]
    double sigma_low = 0.0;      ///< 0: the schedule's σ_min
    double sigma_high = 0.0;     ///< 0: the schedule's σ_max
    int64_t max_samples = 1024;  ///< data rows probed (each level draws fresh noise for all)
    int64_t batch = 256;         ///< rows per network pass
    /// The weight rate's ∇·s: one Rademacher probe (false, as the annealer's Hutchinson
    /// estimate) or the exact trace (true; D times the cost), which leaves out the probe's noise.
    bool exact_divergence = false;
};

/// One network's errors at one noise level (see the header comment); NaN where not defined.
struct ScoreErrors {
    double target = 0, local = 0, dsm = 0, cosine = 0, norm_ratio = 0;
    double exact = 0;  ///< NaN without a closed-form noised score
};

struct ScoreLevel {
    double sigma = 0;
    ScoreErrors score_network;    ///< s = (D_S − x)/σ²
    ScoreErrors energy_network;   ///< s = −∇_x U
    ScoreErrors skip;             ///< s = −x_t/(σ_data² + σ²), the untrained models' score
    double target_norm = 0;       ///< sqrt E‖g0‖²
    double local_norm = 0;        ///< sqrt E‖g_t‖² (rows with finite forces only)
    int64_t nonfinite_local = 0;  ///< rows whose F(x_t) was not finite (excluded from `local`)
    /// Molecules with chirality centres (NaN otherwise): the fraction of rows not in the L form,
    /// of x_t and of each network's denoised x̂ = x_t + σ²·s.
    double not_l_noised = 0, not_l_score = 0, not_l_energy = 0;
    double weight_rate_sd = 0;  ///< sd over rows of h·r (the header's "weight rate")
};

struct ScoreDiagnostic {
    double temperature = 0;
    double beta = 0;
    int64_t samples = 0;
    bool exact_available = false;
    std::vector<ScoreLevel> levels;
    int64_t energy_evaluations = 0;
};

/// @param x0           [N, n, d] samples of p_T not used in training (the first max_samples rows)
/// @param temperature  T of x0, in the target's energy units
/// @param beta         the networks' conditioning for T (the buffer's β)
/// @throws ConfigError on shape mismatch, no samples, or a bad σ range
ScoreDiagnostic diagnose_scores(const Energy& target, const ScoreModel& score,
                                const EnergyModel& energy_model, const at::Tensor& x0,
                                double temperature, double beta, double schedule_sigma_min,
                                double schedule_sigma_max, const ScoreDiagnosticOptions& options,
                                at::Generator& gen);

nlohmann::json to_json(const ScoreDiagnostic& d);

/// A fixed-width table, one row per level: σ, then target/local/dsm/cos/|s|/|g0| for both
/// networks (and exact where available).
std::string format_score_diagnostic(const ScoreDiagnostic& d);

}  // namespace pita
