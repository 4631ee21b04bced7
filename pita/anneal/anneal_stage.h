#pragma once
// One rung of the temperature ladder, as `pita anneal` and `pita run` both do it: from score and
// energy networks trained at T (EMA weights, conditioned on β), draw samples at T' ≤ T by the
// weighted reverse SDE at γ = T/T' (annealer.h), then optionally correct them to the true target
// at T' and relax them there (end_of_trajectory.h). Also reads the `anneal:` config section.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>
#include <nlohmann/json.hpp>

#include "pita/anneal/annealer.h"
#include "pita/anneal/annealing_model.h"
#include "pita/anneal/end_of_trajectory.h"

namespace pita {

class ConfigNode;
class Energy;
class ScoreModel;
class EnergyModel;

/// How the annealed samples are relaxed on the true target at T' (after the end correction).
enum class RelaxationMethod {
    Auto,  ///< MD for molecules (they have masses and units), MALA for everything else
    Mala,  ///< relax_steps MALA steps (relax_on_target)
    Md,    ///< relax_md_ps of LangevinMiddle MD per sample (molecules only; pita/md/md_relaxation)
};

/// A relaxation supplied by the caller (e.g. MD, which needs a molecule's masses and units):
/// moves `x` ([N, n, d] model coordinates) towards the target at `temperature` and counts its
/// target evaluations. `summary` describes it for anneal.json.
struct CustomRelaxation {
    std::function<RelaxationResult(const at::Tensor& x, double temperature, at::Generator& gen)>
        relax;
    nlohmann::json summary;
};

struct AnnealStageOptions {
    SdeOptions sde;  ///< the rung's γ, λ and the target's shape are derived by anneal_stage()
    bool reference_drift = false;  ///< λ = γ (reference) instead of λ = 1 (balanced)
    LearnedModelOptions model;     ///< beta and energy_network are set by anneal_stage()
    bool correct_to_target = true;
    double correction_clamp_quantile = 0.0;
    int64_t relax_steps = 0;
    double relax_step_size = 1e-4;
    RelaxationStepAdaptation relax_adaptation = RelaxationStepAdaptation::PerSample;
    RelaxationMethod relaxation = RelaxationMethod::Auto;
    double relax_md_ps = 1.0;           ///< MD relaxation length per sample, ps (0 = none)
    double relax_md_step_size = 0.001;  ///< ps
    /// 1/ps. 10, not the data's 0.3 or a thermostat's usual 1: the annealed samples start tens of
    /// kT above equilibrium (strained bonds and angles), and MD turns that into kinetic energy
    /// that only the friction removes, at rate 2γ. Measured on ALDP at 300 K (docs/RESULTS.md,
    /// session 12): after 1 ps, γ = 1 leaves T_conf 647 ± 14 K, γ = 10 gives 289 ± 5 K, γ = 50
    /// 304 ± 6 K (overdamped: the soft modes relax more slowly). A φ crossing stays out of reach
    /// (tests/statistical/peptide_relaxation_test.cpp runs this default).
    double relax_md_friction = 10.0;
    /// `anneal.sigma_min`: > 0 ends the SDE's time grid at this σ instead of the training
    /// schedule's σ_min (same kind, σ_max, ρ); 0 = the schedule's. The networks are evaluated only
    /// at σ ≥ this value; what is left below it is for the end correction and the relaxation.
    double sigma_end = 0.0;
    /// Set by the caller when `relaxation` resolves to Md: it replaces the MALA relaxation.
    CustomRelaxation custom_relaxation;
};

/// Auto → Md for a target that `is_molecule`, else Mala. A molecule-only method for another
/// target is a ConfigError naming anneal.relaxation.
RelaxationMethod resolve_relaxation(RelaxationMethod method, bool is_molecule);

/// Reads every key of an `anneal:` section except `checkpoint` and `temperature`; problems are
/// recorded in the config and reported by Config::finish().
AnnealStageOptions read_anneal_stage_options(const ConfigNode& anneal);

struct AnnealStageResult {
    at::Tensor x;       ///< [N, n, d] samples at T' (mean-free for particle systems)
    at::Tensor energy;  ///< [N] float64 target energies E (not E/T)
    /// What the networks delivered: the samples after the SDE and the end correction, before the
    /// relaxation on the true target, and their energies. Undefined without a relaxation (then
    /// x is that already). Their energies, where the correction did not compute them, are
    /// evaluated for reporting only and not counted as the sampler's.
    at::Tensor x_before_relaxation;
    at::Tensor energy_before_relaxation;
    /// [N] int64: the prior draw each sample descends from, through the SDE's resamplings and
    /// the end correction's (lineages.npy; P(φ > 0)'s error counts them).
    at::Tensor lineages;
    std::vector<AnnealStepStats> stats;
    /// γ, drift, SDE/correction/relaxation summaries, target-energy evaluations by phase
    /// ("correction", "relaxation"), seconds by phase, ⟨E⟩: the content of anneal.json.
    nlohmann::json summary;
};

/// The summary's "samples", "non_finite_energies" and "mean_energy" (over the finite ones) from
/// the samples' energies [N].
void summarize_samples(nlohmann::json& summary, const at::Tensor& energy);

/// Writes the rung's samples to `dir` (samples.npy, energies.npy, lineages.npy) and, when the
/// samples were relaxed, what the networks delivered to `dir`/before_relaxation (pita/io/
/// sample_set.h). Used by `pita anneal` and `pita run`, so both leave the same layout.
void write_anneal_samples(const std::string& dir, const AnnealStageResult& r);

/// @throws ConfigError unless 0 < t_to ≤ t_from (γ = 1 is allowed: it regenerates samples at the
/// training temperature, a check of the models)
void check_anneal_temperatures(double t_from, double t_to);

/// @param beta_from  the networks' conditioning at T
/// @param on_step    called after every SDE step (progress display)
AnnealStageResult anneal_stage(const Energy& target, const ScoreModel& score,
                               const EnergyModel& energy_model, const NoiseSchedule& schedule,
                               AnnealStageOptions options, double t_from, double beta_from,
                               double t_to, at::TensorOptions tensor_options, at::Generator& gen,
                               const AnnealProgress& on_step = {});

/// anneal/diagnostics.csv: step, t, ESS, log-weight increment variance, resampled, unique
/// ancestors (written atomically).
void write_anneal_diagnostics(const std::string& path, const std::vector<AnnealStepStats>& stats);

/// A warning when an anneal_stage summary's samples descend from fewer than a tenth of the prior's
/// draws (after the end correction when there was one): they are then copies of a few
/// trajectories, whatever each step's ESS said. "" when the genealogy is healthy.
std::string genealogy_warning(const nlohmann::json& summary);

/// Whether an anneal with these options evaluates the energy network: its weights or drift
/// (tempering_weight energy or score) or the end correction's U(x, σ_min).
bool reads_energy_network(const AnnealStageOptions& o);

/// Empty when the anneal can use networks trained so; otherwise why not, naming the keys: an
/// energy network that no loss trained (train.losses, trains_energy_network) is its random
/// initialisation, and an anneal that reads it would weight samples by noise.
std::string untrained_energy_network_problem(bool energy_network_trained,
                                             const AnnealStageOptions& o);

}  // namespace pita
