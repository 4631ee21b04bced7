#pragma once
// Inference-time annealing (spec §5, Proposition 1 of the paper): simulate the reverse SDE of
// q_t ∝ exp(−γ·U_t) from the mean-free Gaussian prior at t = 1 to t = 0 with Euler–Maruyama,
// carry Feynman–Kac log-weights (float64) and resample, so that the particles at t = 0 are samples
// of p_T^γ, i.e. at the temperature T/γ.
//
// Per step k (t_k = 1 − k/N, dt = 1/N), with g² = dh/dt at t_k and both drifts at the pre-step x:
//   x ← x + (g²/2)(λ·s − γ·∇U)·dt + g·sqrt(dt)·ξ
//   a ← a + [λγ⟨−∇U, s⟩g²/2 + λ(g²/2)∇·s + γ∂U/∂t]·dt      (γ constant: no γ'U term)
//   x ← x − mean(x) for particle systems
// λ weights the score network in the drift. Any λ gives a valid Feynman–Kac scheme (the weight
// is the generator identity G = ∂_τF + ∇·v + ⟨∇F, v⟩ − (g²/2)(ΔF + |∇F|²) for F = −γU and
// v = (g²/2)(∇F + λs); the ΔU terms cancel, so only ∇·s is needed). The reference uses λ = γ.
// λ = 1 ("balanced") makes the proposal exact for Gaussian data at any γ — the increment is then
// constant across particles, so no weight degeneracy — whereas λ = γ shrinks the proposal's
// variance to γ/(2γ−1) of the target's (2/3 at γ = 2), which the weights must then repair.
// then resampling when the schedule (every `resample_interval` steps in [resample_start,
// resample_end)) or the ESS threshold asks for it; weights are discarded from resample_end on.
//
// Where we knowingly differ from the reference: the drift_A clamp at its 0.9 quantile (per
// chunk) is an option, off by default, since it biases the weights; systematic resampling does
// not floor the weights at 1e-6 (which the reference does without renormalising, another bias).
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>  // AnnealResult holds tensors by value

#include "pita/anneal/annealing_model.h"
#include "pita/smc/resampling.h"

namespace pita {

/// `anneal.tempering_weight`: which network the log-weights (and, for ScoreOnly, the drift) use.
enum class TemperingWeight {
    /// The reference's: increment λγ(g²/2)⟨−∇U, s⟩ + λ(g²/2)∇·s + γ∂U/∂t.
    Energy,
    /// Not in the reference; balanced drift only. With λ = 1 the increment is the γ = 1 increment
    /// plus (γ − 1)[∂U/∂t − (g²/2)⟨s, ∇U⟩], and for one noised density (the heat equation,
    /// s = −∇U) that bracket equals −(g²/2)∇·s. Here the (γ − 1) part is taken from the score
    /// network's divergence instead of the energy network's ∂U/∂t, i.e. increment =
    /// (g²/2)⟨−∇U, s⟩ + ∂U/∂t + (2 − γ)(g²/2)∇·s. The same for consistent networks (tested on an
    /// exact model); an error in ∂U/∂t enters once instead of γ times (docs/RESULTS.md, session
    /// 12).
    Score,
    /// Not in the reference; balanced drift only. The score network alone: drift (g²/2)(1 + γ)s
    /// (s in place of −∇U) and increment (1 − γ)(g²/2)∇·s, the others' value for consistent
    /// networks. What is dropped is the γ = 1 increment (g²/2)(⟨−∇U, s⟩ + ∇·s) + ∂U/∂t, which is
    /// 0 for consistent networks and otherwise measures how far the two networks disagree: the
    /// weights then follow the tempered path of the score network's own noised densities (exact
    /// when s is the score of a heat-equation path), in the spirit of the Feynman–Kac correctors
    /// of Skreta et al. 2025 (arXiv 2503.02819), which anneal a score model alone. The energy
    /// network is not evaluated, and the weights keep only the divergence estimate's noise. On
    /// ALDP, with one set of networks, the dropped disagreement is what emptied the φ > 0 basin;
    /// with another, score_only loses it as well (docs/RESULTS.md, session 14).
    ScoreOnly,
};

/// What the user chooses for every rung (the `anneal:` section): the SMC population, the time
/// grid and the resampling schedule.
struct SdeOptions {
    int64_t n_samples = 1000;  ///< SMC population size N
    int64_t steps = 1000;
    ResamplingScheme scheme = ResamplingScheme::Systematic;
    int64_t resample_interval = 1;  ///< resample every this many steps; 0 = never on schedule
    double ess_threshold = 0.0;     ///< also resample when ESS/N falls below this (0 = off)
    int64_t resample_start = 0;
    int64_t resample_end = -1;  ///< -1 = steps (weights kept to the end)
    /// > 0: weights are also discarded from the first step whose σ(t) is below this (the
    /// reference stops at σ ≈ 0.17–0.19, spec §5.5); the earlier of this and resample_end wins.
    double resample_end_sigma = 0.0;
    double clamp_quantile = 0.0;  ///< > 0: clamp increments above this quantile (reference 0.9)
    /// Where the weights' (γ − 1) part comes from (`anneal.tempering_weight`, TemperingWeight).
    TemperingWeight tempering = TemperingWeight::Energy;
    int64_t chunk = 512;  ///< samples per model evaluation (memory, not results)
};

/// What each rung derives from its temperatures and the target (anneal_stage() sets them).
struct RungParameters {
    double gamma = 2.0;         ///< β_{next}/β_current (> 0)
    double score_weight = 1.0;  ///< λ above: 1 = balanced (default); < 0 means λ = γ (reference)
    int64_t n_particles = 0;    ///< particles (atoms) per configuration, n; from the target
    int64_t spatial_dim = 3;    ///< d
    bool particle_system = true;  ///< mean-free prior and iterates (translation invariance)
};

/// Counts the rows of a batch of configurations [B, n, d] that have some property (e.g. the
/// mirror images of a chiral molecule): a diagnostic of the trajectory, never part of it.
using TrajectoryProbe = std::function<int64_t(const at::Tensor& x)>;

/// Everything one annealing needs: the user's choices and the rung's derived values.
struct AnnealOptions : SdeOptions, RungParameters {
    AnnealOptions() = default;
    AnnealOptions(const SdeOptions& sde, const RungParameters& rung)
        : SdeOptions(sde), RungParameters(rung) {}
    /// Optional: applied each step to both networks' Tweedie estimates of the clean sample,
    /// x + h·s and x − h·∇U at the pre-step x; the fractions go to AnnealStepStats::probe_*.
    TrajectoryProbe probe;
};

/// Per-step diagnostics (small: a few numbers per step, never per particle).
struct AnnealStepStats {
    int64_t step = 0;
    double t = 0.0;
    double ess = 0.0;  ///< of the accumulated log-weights after the step, before resampling
    double log_weight_variance = 0.0;  ///< of the step's increments across particles
    bool resampled = false;
    int64_t unique_ancestors = 0;  ///< after resampling (N when none happened)
    /// How many of the N prior draws still have a descendant after this step. Resampling at
    /// every step can keep most particles at each step (unique_ancestors near N) and still
    /// leave every particle with one common ancestor after many steps; only this count shows
    /// that genealogical collapse, which leaves the samples near-copies of one trajectory.
    int64_t lineages = 0;
    /// With AnnealOptions::probe: the fraction of particles it counts among the score network's
    /// and the energy network's denoised estimates at this step (NaN without a probe).
    double probe_score = std::numeric_limits<double>::quiet_NaN();
    double probe_energy = std::numeric_limits<double>::quiet_NaN();
};

struct AnnealResult {
    at::Tensor x;           ///< [N, n, d] particles at t = 0
    at::Tensor log_weight;  ///< [N] float64, accumulated since the last resampling
    at::Tensor origin;      ///< [N] int64: the prior draw each particle descends from
    std::vector<AnnealStepStats> stats;
    int64_t resampling_events = 0;
};

using AnnealProgress = std::function<void(int64_t step, int64_t total, const AnnealStepStats&)>;

/// The config's name of `w`: energy, score or score_only.
std::string tempering_weight_name(TemperingWeight w);

/// True when every log-weight increment is identically zero: score_only weights at γ = 1, whose
/// increment is (1 − γ)(g²/2)∇·s. No step is then weighted (weighting_end_step is 0), so
/// anneal() computes no divergence (a weighted step's costliest part: 1 + probes score
/// evaluations with autograd) and never resamples, and a γ = 1 model check
/// (pita/pipeline/regeneration_check.h) costs one plain reverse SDE.
bool weights_vanish(const AnnealOptions& o);

/// The first step whose weights are discarded: resample_end (or steps), or earlier, the first
/// step whose σ(t_k) is below resample_end_sigma; 0 when the weights vanish.
int64_t weighting_end_step(const AnnealOptions& o, const NoiseSchedule& schedule);

/// @throws ConfigError on bad options, NumericalError when every weight becomes non-finite
AnnealResult anneal(const AnnealingModel& model, const NoiseSchedule& schedule,
                    const AnnealOptions& options, at::TensorOptions tensor_options,
                    at::Generator& gen, const AnnealProgress& progress = {});

}  // namespace pita
