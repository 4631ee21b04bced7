#pragma once
// Reading a `pita run` directory for its report (pita/report/run_report.h): the records, and per
// rung the values the figures show (E/T, pair distances, Ramachandran angles of the samples,
// of the samples before the relaxation and of the reference; the SDE diagnostics), and the
// training losses. Every file is optional except run.json: what is missing is left out of the
// report, with a note where the reader would expect it.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace pita {

class Energy;

struct ReportOptions {
    std::string out;             ///< "" = RUN_DIR/report.html
    std::string reference_root;  ///< "" = the run's metrics.reference (as metrics.json names it)
    /// Rows per sample set for the pair distances (evenly spaced; energies and angles use all).
    int64_t max_rows = 2000;
};

/// A CSV file with a header row of column names, every value parsed as a number (an empty or
/// unparsable field is NaN).
struct CsvTable {
    std::vector<std::string> names;
    std::vector<std::vector<double>> columns;  ///< one per name, each with rows() values
    std::size_t rows() const { return columns.empty() ? 0 : columns.front().size(); }
    /// The column named `name`, or nullptr.
    const std::vector<double>* column(const std::string& name) const;
};

/// @throws IoError naming the file when it cannot be read or a row has the wrong field count
CsvTable read_csv_table(const std::string& path);

/// The values of one sample set that the report draws.
struct SetValues {
    int64_t samples = 0;
    std::vector<double> reduced_energies;  ///< E/T, every row
    std::vector<double> pair_distances;    ///< particle systems: all pairs of up to max_rows rows
    std::vector<std::vector<double>> angles;  ///< peptides: per Ramachandran torsion, radians
};

struct RungContents {
    double temperature = 0;
    std::string dir;                             ///< inside the run: data/T4, T3
    std::string source;                          ///< "mcmc", "md" (the data rung) or "annealed"
    std::optional<SetValues> samples;            ///< the rung's final samples
    std::optional<SetValues> before_relaxation;  ///< what the networks delivered
    std::optional<SetValues> reference;
    std::string reference_dir;  ///< where the reference was read ("" none)
    CsvTable diagnostics;       ///< diagnostics.csv of an annealed rung (empty otherwise)
    int64_t smc_particles = 0;  ///< anneal.json's samples: the population size
};

struct RunContents {
    std::string run_dir;
    nlohmann::json record;   ///< run.json
    nlohmann::json state;    ///< state.json, null when missing
    nlohmann::json metrics;  ///< metrics.json, null when missing (a run that has not finished)
    bool molecule = false;   ///< energy.type molecule
    bool particle_system = false;
    std::vector<std::string> torsion_names;  ///< the columns of SetValues::angles
    std::vector<RungContents> rungs;         ///< down the ladder, those with samples
    CsvTable losses;                         ///< train/losses.csv
    std::vector<std::string> notes;          ///< what could not be read, and why
};

/// Reads `run_dir`. `energy` (optional) is the run's target: for a peptide it gives the torsions
/// of the reference samples and of samples without torsions.npy; when null, a peptide's target
/// is built from run.json (a note says so when that fails, and those maps are left out).
/// @throws IoError when run_dir is not a `pita run` directory (no such directory, no run.json,
///         another command's run.json, no ladder), each with what to pass instead
RunContents read_run_contents(const std::string& run_dir, const ReportOptions& options,
                              const Energy* energy = nullptr);

}  // namespace pita
