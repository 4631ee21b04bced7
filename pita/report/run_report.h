#pragma once
// `pita report RUN_DIR` (issue 16): one self-contained HTML file that shows a `pita run`
// directory — inline SVG figures and CSS only: no script, no font, no image file, no network.
// Sections, each only where the run has its data (ids in parentheses, for tests and links):
//   run (#run)                 what ran: target, ladder, seed, device, version, phases done
//   metrics (#metrics)         the metrics table per temperature, final and before relaxation
//   energy (#energy)           E/T histograms of the samples against the reference, every rung
//   distances (#distances)     pair-distance histograms (particle systems)
//   ramachandran (#ramachandran)  (φ, ψ) heat maps per residue, generated beside reference
//   sde (#sde)                 ESS, unique ancestors, resampling events and the variance of the
//                              log-weight increments along the SDE, every annealed rung
//   training (#training)       loss curves per training stage
//   cost (#cost)               target-energy evaluations and wall time by phase
//   config (#config)           the resolved config, as run.json records it
// Figures carry ids such as energy-T3, distances-T3, rama-T755.95-ALA2, sde-ess-T3,
// sde-variance-T3, loss-stage0, cost-evaluations, cost-seconds.
#include <cstdint>
#include <string>
#include <vector>

#include "pita/report/run_contents.h"

namespace pita {

class Energy;

/// The report's HTML for what read_run_contents() found.
std::string render_run_report(const RunContents& run);

struct ReportResult {
    std::string path;                ///< the file written
    int64_t bytes = 0;               ///< its size
    double seconds = 0;              ///< reading and rendering, wall time
    std::vector<std::string> notes;  ///< what the report left out, and why
};

/// Reads `run_dir` and writes its report (options.out, default RUN_DIR/report.html) atomically.
/// @param energy  the run's target, when the caller has it (else built from run.json if needed)
/// @throws IoError when run_dir is not a `pita run` directory or the file cannot be written
ReportResult write_run_report(const std::string& run_dir, const ReportOptions& options = {},
                              const Energy* energy = nullptr);

}  // namespace pita
