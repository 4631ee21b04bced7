#include "pita/report/run_contents.h"

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include <ATen/ATen.h>
#include <fmt/format.h>

#include "pita/core/error.h"
#include "pita/energy/energy.h"
#include "pita/io/npy.h"
#include "pita/io/run_directory.h"
#include "pita/io/sample_set.h"
#include "pita/metrics/evaluation.h"
#include "pita/molecule/torsions.h"
#include "pita/targets/energy_factory.h"

namespace pita {

namespace {

namespace fs = std::filesystem;

/// At most this many pair distances per set (rows × pairs), whatever max_rows says.
constexpr int64_t kMaxDistances = 400000;

std::vector<double> to_vector(const at::Tensor& t) {
    const at::Tensor c = t.to(at::kCPU, at::kDouble).contiguous().reshape({-1});
    const double* p = c.data_ptr<double>();
    return std::vector<double>(p, p + c.numel());
}

/// Up to `max_rows` rows of x, evenly spaced (deterministic: no generator needed).
at::Tensor spaced_rows(const at::Tensor& x, int64_t max_rows) {
    const int64_t n = x.size(0);
    if (n <= max_rows) return x;
    const at::Tensor idx =
        at::linspace(0, static_cast<double>(n - 1), max_rows, at::kDouble).round().to(at::kLong);
    return x.index_select(0, idx);
}

/// Every pair distance |x_i − x_j| (i < j) of up to max_rows configurations [N, n, d].
std::vector<double> pair_distances(const at::Tensor& samples, int64_t max_rows) {
    const int64_t n = samples.size(1);
    const int64_t pairs = n * (n - 1) / 2;
    const int64_t rows = std::max<int64_t>(1, std::min(max_rows, kMaxDistances / pairs));
    const at::Tensor x = spaced_rows(samples, rows).to(at::kDouble);
    const at::Tensor diff = x.unsqueeze(2) - x.unsqueeze(1);  // [m, n, n, d]
    const at::Tensor r = diff.pow(2).sum(-1).sqrt();
    const at::Tensor iu = at::triu_indices(n, n, 1, at::kLong);
    return to_vector(r.index({at::indexing::Slice(), iu[0], iu[1]}));
}

/// Per column of [N, k] angles, its values.
std::vector<std::vector<double>> columns_of(const at::Tensor& angles) {
    std::vector<std::vector<double>> out;
    for (int64_t k = 0; k < angles.size(1); ++k) out.push_back(to_vector(angles.select(1, k)));
    return out;
}

struct SetReader {
    const RunContents& run;
    const ReportOptions& options;
    const Energy* energy;  ///< for torsions; may be null
    std::vector<std::string>& notes;

    /// The values of the sample set in `dir` at temperature T; std::nullopt without samples.
    std::optional<SetValues> read(const std::string& dir, double temperature,
                                  const std::string& what) const {
        if (!has_sample_set(dir)) return std::nullopt;
        SampleSet set;
        try {
            set = read_sample_set(dir);
        } catch (const Error& e) {
            notes.push_back(fmt::format("{} left out: {}", what, e.what()));
            return std::nullopt;
        }
        SetValues v;
        v.samples = set.samples.size(0);
        if (set.energies.defined()) {
            v.reduced_energies = to_vector(set.energies / temperature);
        } else if (energy != nullptr) {
            v.reduced_energies =
                to_vector(energy->energy(set.samples.to(at::kDouble)) / temperature);
        }
        if (run.particle_system && set.samples.dim() == 3 && set.samples.size(1) >= 2)
            v.pair_distances = pair_distances(set.samples, options.max_rows);
        if (run.molecule && !run.torsion_names.empty()) {
            const std::string file = dir + "/torsions.npy";
            const auto n_torsions = static_cast<int64_t>(run.torsion_names.size());
            if (fs::exists(file)) {
                const at::Tensor a = read_npy(file);
                if (a.dim() == 2 && a.size(0) == v.samples && a.size(1) == n_torsions)
                    v.angles = columns_of(a);
            }
            if (v.angles.empty() && energy != nullptr) {
                const at::Tensor atoms = torsion_atoms(energy->ramachandran_torsions());
                v.angles = columns_of(dihedral_angles(set.samples.to(at::kDouble), atoms));
            }
        }
        return v;
    }
};

/// The reference sample-set folder for temperature T, or "" (with a note when one was named).
std::string find_reference(const RunContents& run, const ReportOptions& options, double t,
                           std::vector<std::string>& notes) {
    // A root without this temperature is no note: the figures say "no reference at this
    // temperature", as metrics.json notes it.
    if (!options.reference_root.empty())
        return reference_directory(options.reference_root, t).value_or("");
    // The folder the metrics used, as metrics.json names it.
    if (run.metrics.is_object() && run.metrics.contains("temperatures")) {
        for (const auto& m : run.metrics["temperatures"]) {
            if (m.value("temperature", -1.0) != t || !m.contains("reference")) continue;
            const std::string dir = m["reference"].get<std::string>();
            if (has_sample_set(dir)) return dir;
            notes.push_back(fmt::format(
                "the reference at T = {:g}, {} (as metrics.json names it), is not there from the "
                "current directory {}: run `pita report` from where the run started, or pass "
                "--reference DIR",
                t, dir, fs::current_path().string()));
            return "";
        }
    }
    const nlohmann::json& config = run.record["config"];
    if (config.contains("metrics") && config["metrics"].value("reference", "") != "") {
        const std::string root = config["metrics"]["reference"].get<std::string>();
        if (const auto dir = reference_directory(root, t)) return *dir;
        if (!fs::is_directory(root))
            notes.push_back(fmt::format(
                "the run's metrics.reference {} is not there from the current directory {}: run "
                "`pita report` from where the run started, or pass --reference DIR",
                root, fs::current_path().string()));
    }
    return "";
}

}  // namespace

const std::vector<double>* CsvTable::column(const std::string& name) const {
    for (std::size_t i = 0; i < names.size(); ++i)
        if (names[i] == name) return &columns[i];
    return nullptr;
}

CsvTable read_csv_table(const std::string& path) {
    std::ifstream in(path);
    PITA_CHECK_AS(IoError, in.good(), "[report] cannot read {}.", path);
    auto split = [](const std::string& line) {
        std::vector<std::string> fields;
        std::stringstream ss(line);
        std::string f;
        while (std::getline(ss, f, ',')) fields.push_back(f);
        if (!line.empty() && line.back() == ',') fields.emplace_back();
        return fields;
    };
    CsvTable table;
    std::string line;
    if (!std::getline(in, line)) return table;
    table.names = split(line);
    table.columns.resize(table.names.size());
    int64_t row = 1;
    while (std::getline(in, line)) {
        ++row;
        if (line.empty()) continue;
        const std::vector<std::string> fields = split(line);
        PITA_CHECK_AS(IoError, fields.size() == table.names.size(),
                      "[report] {} line {}: {} fields; expected {} as in its header.", path, row,
                      fields.size(), table.names.size());
        for (std::size_t i = 0; i < fields.size(); ++i) {
            char* end = nullptr;
            const double v = std::strtod(fields[i].c_str(), &end);
            const bool ok = !fields[i].empty() && end != nullptr && *end == '\0';
            table.columns[i].push_back(ok ? v : std::nan(""));
        }
    }
    return table;
}

RunContents read_run_contents(const std::string& run_dir, const ReportOptions& options,
                              const Energy* energy) {
    const fs::path root(run_dir);
    PITA_CHECK_AS(IoError, fs::is_directory(root),
                  "[report] {}: {}. Pass the output directory of `pita run` (its --out, or "
                  "runs/<config>-run-<time>).",
                  run_dir, fs::exists(root) ? "not a directory" : "no such directory");
    PITA_CHECK_AS(IoError, fs::exists(root / "run.json"),
                  "[report] {}: no run.json there, so not a run directory. Pass the output "
                  "directory of `pita run` (its --out, or runs/<config>-run-<time>).",
                  run_dir);
    PITA_CHECK_AS(IoError,
                  options.reference_root.empty() || fs::is_directory(options.reference_root),
                  "[report] reference directory {} does not exist. Pass --reference with the "
                  "directory holding T<temp>/samples.npy, e.g. data/lj13/reference.",
                  options.reference_root);
    RunContents run;
    run.run_dir = run_dir;
    run.record = read_json((root / "run.json").string());
    const std::string command = run.record.value("command", "");
    PITA_CHECK_AS(IoError, command == "run",
                  "[report] {}: written by `pita {}`, not `pita run`; the report reads `pita run` "
                  "directories. `pita evaluate {}` scores the samples of any run.",
                  run_dir, command.empty() ? "?" : command, run_dir);
    PITA_CHECK_AS(IoError,
                  run.record.contains("config") && run.record["config"].contains("ladder") &&
                      run.record["config"]["ladder"].is_array(),
                  "[report] {}/run.json has no config.ladder: it is damaged or not from `pita "
                  "run`. Re-run `pita run` (or --resume it) to rewrite it.",
                  run_dir);
    if (fs::exists(root / "state.json")) run.state = read_json((root / "state.json").string());
    if (fs::exists(root / "metrics.json"))
        run.metrics = read_json((root / "metrics.json").string());
    else
        run.notes.push_back(
            "no metrics.json: the run has not finished (`pita run --resume` completes it)");

    const nlohmann::json& config = run.record["config"];
    const std::string type =
        config.contains("energy") ? config["energy"].value("type", "") : std::string();
    run.molecule = type == "molecule";
    run.particle_system = !run.molecule && type != "gmm" && type != "gaussian";

    // A peptide's torsions need its target (the reference has no torsions.npy of ours).
    std::unique_ptr<Energy> built;
    if (run.molecule && energy == nullptr) {
        try {
            built = make_energy_of_run(run.record, run_dir);
            energy = built.get();
        } catch (const Error& e) {
            run.notes.push_back(fmt::format(
                "the target could not be built from run.json, so Ramachandran maps are shown "
                "only where the run wrote torsions.npy: {}",
                e.what()));
        }
    }
    if (run.molecule) {
        if (energy != nullptr) {
            for (const Torsion& t : energy->ramachandran_torsions())
                run.torsion_names.push_back(t.name);
        } else if (run.metrics.is_object() && run.metrics.contains("temperatures") &&
                   !run.metrics["temperatures"].empty()) {
            run.torsion_names =
                run.metrics["temperatures"][0].value("torsion_names", std::vector<std::string>{});
        }
    }

    const std::vector<double> ladder = config["ladder"].get<std::vector<double>>();
    const std::string data_source =
        config.contains("data") && config["data"].value("sampler", "mala") == "md" ? "md" : "mcmc";
    const SetReader reader{run, options, energy, run.notes};
    for (std::size_t i = 0; i < ladder.size(); ++i) {
        RungContents rung;
        rung.temperature = ladder[i];
        rung.dir = i == 0 ? "data/" + temperature_dir(ladder[i]) : temperature_dir(ladder[i]);
        rung.source = i == 0 ? data_source : "annealed";
        const std::string where = fmt::format("T = {:g}", rung.temperature);
        rung.samples = reader.read((root / rung.dir).string(), rung.temperature, where);
        if (!rung.samples) continue;  // not reached yet
        rung.before_relaxation = reader.read((root / rung.dir / kBeforeRelaxationDir).string(),
                                             rung.temperature, where + " before relaxation");
        rung.reference_dir = find_reference(run, options, rung.temperature, run.notes);
        if (!rung.reference_dir.empty())
            rung.reference =
                reader.read(rung.reference_dir, rung.temperature, where + " reference");
        const fs::path diagnostics = root / rung.dir / "diagnostics.csv";
        if (fs::exists(diagnostics)) rung.diagnostics = read_csv_table(diagnostics.string());
        const fs::path anneal = root / rung.dir / "anneal.json";
        if (fs::exists(anneal))
            rung.smc_particles = read_json(anneal.string()).value("samples", int64_t{0});
        run.rungs.push_back(std::move(rung));
    }
    const fs::path losses = root / "train/losses.csv";
    if (fs::exists(losses)) run.losses = read_csv_table(losses.string());
    return run;
}

}  // namespace pita
