#pragma once
// The γ = 1 regeneration check (issue 14 item 2, issue 15 item 1): after a training stage at T,
// the networks anneal from the prior back to the same T — no tempering, so an exact pair of
// networks returns the training density — with no end correction and no relaxation, and the
// result is scored against the run's own samples at T (the buffer they were trained on). It
// needs no reference and costs no target evaluation (the metrics' own are counted apart), so
// every run can show, stage by stage, what its networks deliver before any temperature step:
// on ALDP, whether their SDE keeps the φ > 0 basin's population (docs/RESULTS.md, session 14).
#include <cstdint>
#include <string>

#include <ATen/core/Tensor.h>
#include <nlohmann/json.hpp>

#include "pita/anneal/anneal_stage.h"
#include "pita/metrics/evaluation.h"
#include "pita/pipeline/chirality_fix.h"

namespace pita {

class Energy;
class NoiseSchedule;
class RunObserver;
class ScoreModel;
class EnergyModel;

/// The folder of a rung's regeneration check, inside the rung's own folder.
constexpr const char* kRegenerationDir = "regeneration";

/// Anneals `n_samples` at γ = 1 (`anneal` as configured otherwise: steps, divergence, tempering
/// weight, resampling; no correction, no relaxation), applies the run's `chirality` handling as
/// a rung does (a mirrored molecule's φ is the mirror image of its L form's, so without the fix
/// P(φ > 0) would count mirror images: measured on ALDP's first stage, 47 % of the raw samples are
/// mirrored), records the counts before it in "chirality_handling", writes the samples with their
/// energies and lineages to `out_dir`, and returns evaluate_samples() against `own_samples_dir`
/// (the run's samples at `temperature`) with "source" ("regenerated"), "gamma", "temperature",
/// "compared_with", "lineages", "min_ess", "energy_evaluations" (the check's own: its samples'
/// energies and the metrics' forces, never the sampler's) and "seconds" added; the same JSON is
/// written to `out_dir`/regeneration.json. Its "reference_*" entries are the run's own samples.
nlohmann::json regeneration_check(const Energy& target, const ScoreModel& score,
                                  const EnergyModel& energy_model, const NoiseSchedule& schedule,
                                  AnnealStageOptions anneal, int64_t n_samples, double temperature,
                                  double beta, const std::string& own_samples_dir,
                                  const std::string& out_dir, const ChiralityHandling& chirality,
                                  EvaluationOptions evaluation, at::TensorOptions tensor_options,
                                  at::Generator& gen, RunObserver& observer);

/// One line for the log: the regeneration's energy-W1 and torsion or distance W2 against the
/// run's own samples, P(φ > 0) beside the samples' own, and the surviving lineages.
std::string describe_regeneration(const nlohmann::json& check);

}  // namespace pita
