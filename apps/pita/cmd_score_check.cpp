// `pita score-check CONFIG`: where are a checkpoint's learned scores wrong? Both networks' scores
// against the target's forces, per noise level, on held-out samples (pita/diagnostics/
// score_diagnostic.h has the definitions). Any run's or train's config can be passed as it is,
// with the checkpoint and the samples named in its `score_check` section:
//   score_check.checkpoint   RUN/stage0/checkpoint.pt or TRAIN/train/checkpoint.pt (required)
//   score_check.samples      a sample-set folder (samples.npy) at the checkpoint's newest
//                            temperature, not used in its training (required)
//   score_check.levels, sigma_low, sigma_high, max_samples, batch, divergence
//
// Outputs (in the run directory): run.json, score_check.json (one entry per noise level).
#include <filesystem>
#include <iostream>

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "pita/config/config.h"
#include "pita/core/device.h"
#include "pita/core/error.h"
#include "pita/core/rng.h"
#include "pita/diagnostics/score_diagnostic.h"
#include "pita/io/run_directory.h"
#include "pita/io/sample_set.h"
#include "pita/train/trained_models.h"
#include "run_settings.h"

namespace pita::cli {

int run_score_check(const CommonArgs& args) {
    Config cfg = Config::load_file(args.config, args.overrides);
    const ConfigNode root = cfg.root();
    const RunSettings settings = read_run_settings(
        root, std::filesystem::path(args.config).stem().string() + "-score-check", "float32");
    const ConfigNode node = root.child("score_check");
    const std::string checkpoint = node.get_string("checkpoint", "");
    if (checkpoint.empty())
        node.error("checkpoint",
                   "missing: expected the checkpoint.pt of a `pita run` stage or a "
                   "`pita train` run.");
    const std::string samples_dir = node.get_string("samples", "");
    if (samples_dir.empty())
        node.error("samples",
                   "missing: expected a folder with samples.npy at the checkpoint's "
                   "newest temperature that its training did not use (e.g. a `pita "
                   "mcmc` run's T<temp> folder).");
    else if (!has_sample_set(samples_dir))
        node.error("samples", fmt::format("'{}' holds no samples.npy; expected a sample-set "
                                          "folder (samples.npy, energies.npy).",
                                          samples_dir));
    ScoreDiagnosticOptions o;
    o.levels = node.get_int("levels", o.levels, Bounds::between(1, 1000));
    o.sigma_low = node.get_double("sigma_low", o.sigma_low, Bounds::at_least(0));
    o.sigma_high = node.get_double("sigma_high", o.sigma_high, Bounds::at_least(0));
    o.max_samples = node.get_int("max_samples", o.max_samples, Bounds::between(1, 1 << 24));
    o.batch = node.get_int("batch", o.batch, Bounds::between(1, 1 << 20));
    o.exact_divergence =
        node.get_choice("divergence", "hutchinson", {"hutchinson", "exact"}) == "exact";
    for (const char* other : {"energy", "schedule", "model", "train", "data", "ladder", "metrics",
                              "mcmc", "anneal", "md", "diagnose"})
        root.ignore(other);
    cfg.finish();

    const TrainedModels trained =
        load_trained_models(checkpoint, settings.device, settings.dtype, "score-check");
    const ReplayBuffer& newest = trained.newest_buffer();
    if (args.check_only) {
        return finish_check(args.print_config, cfg,
                            fmt::format("config OK: {} · T {:g} · {} levels · up to {} samples "
                                        "from {}\n",
                                        trained.energy->name(), newest.temperature(), o.levels,
                                        o.max_samples, samples_dir));
    }
    const int threads = set_threads(settings.threads);
    const SampleSet data = read_sample_set(samples_dir);
    RunDirectory dir = RunDirectory::create(settings.output_dir);
    nlohmann::json run = make_run_record(cfg.resolved(), settings.seed, threads,
                                         settings.device.str(), args.command_line);
    run["command"] = "score-check";
    run["energy"] = trained.energy->config();
    dir.write_run_json(run);

    at::Generator gen = make_generator(settings.seed, settings.device);
    const at::Tensor x0 = data.samples.to(settings.device, settings.dtype);
    const ScoreDiagnostic d = diagnose_scores(
        *trained.energy, *trained.score, *trained.energy_model, x0, newest.temperature(),
        newest.beta(), trained.schedule.sigma_min(), trained.schedule.sigma_max(), o, gen);
    nlohmann::json out = to_json(d);
    out["checkpoint"] = checkpoint;
    out["samples_dir"] = samples_dir;
    out["step"] = trained.record.value("step", 0);
    write_json(dir.path("score_check.json"), out);
    fmt::print("{} at T = {:g} (β {:g}), checkpoint step {}, {} held-out samples:\n",
               trained.energy->name(), d.temperature, d.beta, out["step"].get<int64_t>(),
               d.samples);
    fmt::print("{}", format_score_diagnostic(d));
    fmt::print(
        "target: E|s - F(x0)/T|^2 / E|F(x0)/T|^2 (floor -> 0 as sigma -> 0); local: the same "
        "against F(x_t)/T; dsm: E|sigma s + eps|^2 / E|eps|^2 (s = 0 gives 1); outputs in "
        "{}/\n",
        dir.root());
    return 0;
}

}  // namespace pita::cli
