#pragma once
// The one-screen table of per-temperature metrics that `pita run` and `pita evaluate` print.
#include <nlohmann/json.hpp>

namespace pita::cli {

/// One row per entry of `temperatures` (each an evaluate_samples() result with "temperature" and
/// "source"); metrics without a reference print as "-".
void print_metrics_table(const nlohmann::json& temperatures);

}  // namespace pita::cli
