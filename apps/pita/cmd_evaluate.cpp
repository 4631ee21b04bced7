// `pita evaluate RUN_DIR [--reference DIR]`: score the samples of a finished `pita mcmc`,
// `pita run` or `pita anneal` directory against reference samples (spec §7), e.g. a
// parallel-tempering baseline next to a PITA run at the same number of target-energy evaluations
// (docs/BENCHMARKS.md).
//
// Every `T<temp>/samples.npy` and `data/T<temp>/samples.npy` of the directory is scored (energies
// from the energies.npy beside it, else recomputed); temperatures without a reference get the
// reference-free metrics only. The target comes from the directory's run.json. The result goes to
// RUN_DIR/evaluation.json (or --out), written atomically, and a table to the terminal.
#include <algorithm>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "metrics_table.h"
#include "pita/config/config.h"
#include "pita/core/device.h"
#include "pita/core/error.h"
#include "pita/io/npy.h"
#include "pita/io/run_directory.h"
#include "pita/io/sample_set.h"
#include "pita/metrics/evaluation.h"
#include "pita/targets/energy_factory.h"

namespace pita::cli {

namespace {

namespace fs = std::filesystem;

struct FoundSampleSet {
    double temperature;
    std::string relative_dir;  ///< "T1" or "data/T4"
};

/// "T1.5" → 1.5; anything else (or a directory without samples.npy) is not a sample set.
std::optional<double> temperature_of(const fs::path& dir) {
    const std::string name = dir.filename().string();
    if (name.size() < 2 || name[0] != 'T' || !has_sample_set(dir.string())) return std::nullopt;
    try {
        std::size_t used = 0;
        const double t = std::stod(name.substr(1), &used);
        if (used + 1 != name.size() || !(t > 0)) return std::nullopt;
        return t;
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

std::vector<FoundSampleSet> find_sample_sets(const fs::path& root) {
    std::vector<FoundSampleSet> sets;
    for (const std::string sub : {"", "data"}) {
        const fs::path base = sub.empty() ? root : root / sub;
        if (!fs::is_directory(base)) continue;
        for (const auto& entry : fs::directory_iterator(base)) {
            if (!entry.is_directory()) continue;
            if (const auto t = temperature_of(entry.path()))
                sets.push_back(
                    {*t, (sub.empty() ? "" : sub + "/") + entry.path().filename().string()});
        }
    }
    std::sort(sets.begin(), sets.end(), [](const FoundSampleSet& a, const FoundSampleSet& b) {
        return a.temperature > b.temperature ||
               (a.temperature == b.temperature && a.relative_dir < b.relative_dir);
    });
    return sets;
}

/// The sum of a run record's "energy_evaluations" by phase (state.json, anneal.json).
int64_t evaluations_by_phase(const nlohmann::json& record) {
    int64_t total = 0;
    for (const auto& [phase, n] : record.at("energy_evaluations").items())
        total += n.get<int64_t>();
    return total;
}

/// The sampler's own target-energy evaluations, as the directory recorded them (0 if unknown).
int64_t sampler_evaluations(const fs::path& root) {
    if (fs::exists(root / "state.json"))  // pita run: by phase
        return evaluations_by_phase(read_json((root / "state.json").string()));
    if (fs::exists(root / "mcmc.json"))  // pita mcmc
        return read_json((root / "mcmc.json").string()).value("energy_evaluations", int64_t{0});
    if (fs::exists(root / "md.json"))  // pita md: one force evaluation per replica and step
        return read_json((root / "md.json").string()).value("force_evaluations", int64_t{0});
    if (fs::exists(root / "anneal.json"))  // pita anneal: correction + relaxation
        return evaluations_by_phase(read_json((root / "anneal.json").string()));
    return 0;
}

/// The chains a sample set's rows are a time series of (EvaluationOptions::sample_chains): the
/// replicas of a `pita md` run (md.json's frames_shape) or of a `pita run`'s MD data phase; 0
/// for everything else (SMC output, whose rows are independent draws).
int64_t sample_chains_of(const fs::path& root, const nlohmann::json& record,
                         const std::string& relative_dir) {
    const std::string command = record.value("command", std::string());
    if (command == "md" && fs::exists(root / "md.json")) {
        const nlohmann::json md = read_json((root / "md.json").string());
        if (md.contains("frames_shape") && md["frames_shape"].size() >= 2)
            return md["frames_shape"][1].get<int64_t>();
    }
    if (command == "run" && relative_dir.rfind("data/", 0) == 0) {
        const nlohmann::json data =
            record.value("/config/data"_json_pointer, nlohmann::json::object());
        if (data.value("sampler", std::string()) == "md" && data.contains("md"))
            return data["md"].value("n_replicas", int64_t{0});
    }
    return 0;
}

}  // namespace

int run_evaluate(const EvaluateArgs& args) {
    const fs::path root(args.run_dir);
    PITA_CHECK_AS(IoError, fs::exists(root / "run.json"),
                  "[evaluate] {}: no run.json there. Pass a directory written by `pita mcmc`, "
                  "`pita md` or `pita run`.",
                  args.run_dir);
    const nlohmann::json record = read_json((root / "run.json").string());
    std::string reference_root = args.reference;
    if (reference_root.empty() && record.contains("config") && record["config"].contains("metrics"))
        reference_root = record["config"]["metrics"].value("reference", "");
    PITA_CHECK_AS(IoError, reference_root.empty() || fs::is_directory(reference_root),
                  "[evaluate] reference directory {} does not exist. Pass --reference with the "
                  "directory holding T<temp>/samples.npy, e.g. data/lj13/reference.",
                  reference_root);

    // The target as the run configured it; only its `energy:` section is needed.
    std::unique_ptr<Energy> energy = make_energy_of_run(record, args.run_dir);
    set_threads(args.threads);

    const std::vector<FoundSampleSet> sets = find_sample_sets(root);
    PITA_CHECK_AS(IoError, !sets.empty(),
                  "[evaluate] {}: no T<temp>/samples.npy (nor data/T<temp>/samples.npy) found.",
                  args.run_dir);

    EvaluationOptions options;
    options.max_samples = args.max_samples;
    options.equivariant_samples = args.equivariant_samples;
    options.seed = args.seed;
    add_target_torsions(*energy, options);
    nlohmann::json out;
    out["run_dir"] = args.run_dir;
    out["reference"] = reference_root;
    out["sampler_energy_evaluations"] = sampler_evaluations(root);
    const int64_t before = energy->evaluations();
    auto score = [&](const fs::path& dir, double temperature, const std::string& relative,
                     int64_t chains) {
        // As stored (float32 samples, as `pita run` scores them), so both give the same numbers.
        const SampleSet stored = read_sample_set(dir.string());
        const at::Tensor& x = stored.samples;
        const at::Tensor e =
            stored.energies.defined() ? stored.energies : energy->energy(x.to(at::kDouble));
        EvaluationOptions set_options = options;
        set_options.sample_chains = chains;
        set_options.sample_lineages = stored.lineages;
        nlohmann::json m = evaluate_samples(*energy, x, e, temperature,
                                            reference_root.empty()
                                                ? std::nullopt
                                                : reference_directory(reference_root, temperature),
                                            set_options);
        m["temperature"] = temperature;
        m["samples_file"] = relative + "/samples.npy";
        return m;
    };
    for (const FoundSampleSet& set : sets) {
        const fs::path dir = root / set.relative_dir;
        nlohmann::json m = score(dir, set.temperature, set.relative_dir,
                                 sample_chains_of(root, record, set.relative_dir));
        m["source"] = set.relative_dir;
        // What the networks delivered before the relaxation (pita run, pita anneal).
        if (has_sample_set((dir / kBeforeRelaxationDir).string())) {
            const std::string relative = set.relative_dir + "/" + kBeforeRelaxationDir;
            m["before_relaxation"] =
                score(dir / kBeforeRelaxationDir, set.temperature, relative, 0);
            m["before_relaxation"]["source"] = "networks";
        }
        out["temperatures"].push_back(m);
    }
    out["metric_energy_evaluations"] = energy->evaluations() - before;
    const std::string out_path = args.out.empty() ? (root / "evaluation.json").string() : args.out;
    write_json(out_path, out);
    print_metrics_table(out["temperatures"]);
    fmt::print("\nsampler target-energy evaluations: {}; metrics used {} more. Written to {}\n",
               out["sampler_energy_evaluations"].get<int64_t>(),
               out["metric_energy_evaluations"].get<int64_t>(), out_path);
    return 0;
}

}  // namespace pita::cli
