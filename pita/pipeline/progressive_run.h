#pragma once
// The progressive PITA loop (spec §6) down a temperature ladder T_0 > T_1 > … > T_L, as a library
// component: `pita run` parses and prints around it, and anything else (a test, a binding) can
// drive it the same way.
//   data      samples at T_0 (data_phase.h), counted; the first replay buffer
//   train i   score and energy networks on the buffers so far (training_loop.h)
//   anneal i  weighted SDE + SMC from T_i to T_{i+1} (anneal_stage.h); the samples, masked
//             (non-finite or |E/T| > energy_mask_threshold), become buffer i+1
//   metrics   every ladder temperature against the reference samples, when a reference exists
//
// Only samples the run produced itself enter training: the data phase's and its own annealed
// samples; references are read by the metrics phase alone. Every buffer records its provenance.
//
// Outputs (in the run directory):
//   run.json                   what ran (written once; a resume appends to "resumed")
//   state.json                 completed phases, target-energy evaluations and seconds by phase
//   data/T<T_0>/samples.npy    the data phase's samples, energies.npy next to it
//   T<T>/samples.npy           annealed samples at T ([N, n, d] float32, mean-free), energies.npy
//                              (E, float64), anneal.json, diagnostics.csv (per SDE step), and
//                              before_relaxation/ (what the networks delivered, when relaxed)
//   train/losses.csv           training curves of all stages (stage, step, temperature, losses)
//   train/checkpoint.pt        networks, EMAs, optimizer, buffers, RNG: what a resume continues
//   train/stage<i>.pt          the same at the end of training stage i (before annealing from
//                              T_i), for `pita anneal anneal.checkpoint=...` on any rung
//   metrics.json               per temperature: metrics (final and before relaxation), the
//                              reference, the evaluation counts, the buffers' provenance
//   report.html                the run's report (pita/report/run_report.h), rewritten at the end
//                              of every session; failing to write it is a warning (observer), not
//                              an error: it is a view of the files above, and `pita report`
//                              writes it again
//
// Resume: phases complete atomically (their outputs are renamed into place, then state.json);
// a killed run continues from the last checkpoint inside a training phase, and re-runs an
// interrupted annealing phase from its start with the same random stream.
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "pita/anneal/anneal_stage.h"
#include "pita/config/run_settings.h"
#include "pita/core/memory_estimate.h"
#include "pita/metrics/evaluation.h"
#include "pita/pipeline/chirality_fix.h"
#include "pita/pipeline/data_phase.h"
#include "pita/schedule/noise_schedule.h"
#include "pita/train/trainer.h"
#include "pita/train/training_loop.h"

namespace pita {

class Backbone;
class ConfigNode;
class Energy;
class RunDirectory;
class RunObserver;

/// What a progressive run does, every key of its config resolved and range-checked.
struct ProgressiveRunOptions {
    std::vector<double> ladder;  ///< strictly decreasing, at least two temperatures
    DataPhaseOptions data;
    TrainerOptions trainer;
    TrainingSchedule training;
    AnnealStageOptions anneal;
    /// Annealed samples with |E/T| above this (or a non-finite energy) stay out of the next
    /// buffer (spec §6.2).
    double energy_mask_threshold = 1000.0;
    /// Molecules: mirror (x → −x) the annealed samples whose every chirality centre is inverted,
    /// and/or drop those that are not L, before they are kept or enter a buffer; anneal.json
    /// records the counts. Off by default: a sampler's D fraction is reported as it is.
    ChiralityHandling chirality;
    std::string reference_root;  ///< "" = no reference metrics
    /// metrics.regeneration_samples: > 0 runs the γ = 1 regeneration check
    /// (pita/pipeline/regeneration_check.h) with this many samples after every training stage;
    /// 0 = off.
    int64_t regeneration_samples = 0;
    EvaluationOptions evaluation;
    RunSettings settings;  ///< seed, threads, device, dtype, output directory
};

/// Everything a progressive run is built from: the target, the noise schedule, an untrained
/// backbone (both networks start as copies of it) and the options.
struct ProgressiveRunPlan {
    explicit ProgressiveRunPlan(NoiseSchedule noise_schedule);
    ProgressiveRunPlan(ProgressiveRunPlan&&) noexcept;
    ProgressiveRunPlan& operator=(ProgressiveRunPlan&&) noexcept;
    ~ProgressiveRunPlan();

    std::unique_ptr<Energy> energy;
    NoiseSchedule schedule;
    std::unique_ptr<Backbone> backbone;
    double sigma_data = 1.0;
    ProgressiveRunOptions options;
};

/// Reads every section of a `pita run` config from `root`: top-level settings (seed, threads,
/// device, dtype, output_dir; the default output folder is runs/<default_stem>-<UTC time>),
/// ladder, energy, data, schedule, model, train, anneal, metrics. Problems are recorded in the
/// config, all of them, and reported by Config::finish(), which the caller runs before any work.
ProgressiveRunPlan read_progressive_run_plan(const ConfigNode& root,
                                             const std::string& default_stem);

/// The ladder temperatures that have no reference sample set under options.reference_root (their
/// reference metrics are skipped, with a note in metrics.json); empty without a reference root.
std::vector<double> temperatures_without_reference(const ProgressiveRunOptions& options);

/// The memory the run needs at its peak (sampler states, kept samples, buffers, activations).
MemoryEstimate estimate_progressive_run_memory(const ProgressiveRunPlan& plan);

/// How this process runs the plan.
struct RunInvocation {
    nlohmann::json resolved_config;  ///< Config::resolved(): run.json and every checkpoint
    std::string command_line;        ///< recorded in run.json
    int threads = 0;                 ///< the thread count in use, recorded in run.json
    /// Continue the run in the directory (its run.json must hold the same config, except the
    /// keys progressive_run_may_change_on_resume() allows); false starts a fresh run there.
    bool resume = false;
};

/// Keys a resumed run may change: where and how fast it runs, the metrics (computed afresh at
/// the end of every session), and before any rung was annealed, the anneal section.
bool progressive_run_may_change_on_resume(const std::string& key, bool annealed);

/// Runs (or resumes) the plan in `dir`, reporting through `observer`.
/// @return metrics.json's content: {"temperatures": [...], "energy_evaluations" (by phase and
///         "total"), "metric_energy_evaluations", "seconds", "buffers", "training_steps"}
/// @throws ConfigError when a resume's config differs; NumericalError when training diverges or
///         an annealing leaves no finite sample; IoError when an output cannot be written
nlohmann::json run_progressive(ProgressiveRunPlan& plan, const RunDirectory& dir,
                               const RunInvocation& invocation, RunObserver& observer);

}  // namespace pita
