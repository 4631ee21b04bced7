#pragma once
// The one-screen table of per-temperature metrics that `pita run` and `pita evaluate` print,
// and the evaluation options both commands derive from the target.
#include <nlohmann/json.hpp>

#include "pita/pipeline/evaluation.h"

namespace pita {
class Energy;
}

namespace pita::cli {

/// For a target with a peptide backbone (Energy::ramachandran_torsions() not empty): its φ/ψ
/// torsions into `options`, so the Ramachandran metrics replace the atom-permuting equivariant
/// W2. Other targets: no-op.
void add_target_torsions(const Energy& energy, EvaluationOptions& options);

/// One row per entry of `temperatures` (each an evaluate_samples() result with "temperature" and
/// "source"); metrics without a reference print as "-". T-W2 is the torus W2 of the φ/ψ angles
/// (peptides); eq-W2 the equivariant W2 (particle systems).
/// Then print_sample_warnings().
void print_metrics_table(const nlohmann::json& temperatures);

/// A warning line per temperature with samples left out (non-finite coordinates), energies that
/// disagree with the samples, or outliers (evaluate_samples' counts): never a silent score.
void print_sample_warnings(const nlohmann::json& temperatures);

}  // namespace pita::cli
