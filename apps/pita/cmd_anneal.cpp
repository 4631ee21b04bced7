// `pita anneal CONFIG [key=value ...]`: from a training checkpoint at temperature T, draw samples
// at a lower temperature T' by inference-time annealing (spec §5): the Feynman–Kac weighted
// reverse SDE at γ = T/T' with SMC resampling, then optionally an importance correction to the
// true target at T' and a short MALA relaxation on it.
//
// Outputs (in the run directory):
//   run.json                 what ran
//   T<T'>/samples.npy        [N, n, d] float32, mean-free for particle systems
//   T<T'>/energies.npy       [N] float64 target energies E (not E/T)
//   anneal/diagnostics.csv   per SDE step: step, t, ESS, log-weight increment variance,
//                            resampled (0/1), unique ancestors
//   anneal.json              γ, settings, ESS summary, resampling events, target-energy
//                            evaluations by phase, seconds per phase, ⟨E⟩
#include <filesystem>
#include <iostream>

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "pita/anneal/anneal_stage.h"
#include "pita/config/config.h"
#include "pita/core/device.h"
#include "pita/core/error.h"
#include "pita/core/progress.h"
#include "pita/core/rng.h"
#include "pita/io/npy.h"
#include "pita/io/run_directory.h"
#include "pita/io/sample_set.h"
#include "pita/pipeline/chirality_fix.h"
#include "pita/pipeline/memory_plan.h"
#include "pita/pipeline/relaxation_setup.h"
#include "pita/train/trained_models.h"
#include "run_settings.h"

namespace pita::cli {

int run_anneal(const CommonArgs& args) {
    Config cfg = Config::load_file(args.config, args.overrides);
    const ConfigNode root = cfg.root();
    const RunSettings settings = read_run_settings(
        root, std::filesystem::path(args.config).stem().string() + "-anneal", "float32");
    const ConfigNode a = root.child("anneal");
    const std::string checkpoint = a.get_string("checkpoint", "");
    if (checkpoint.empty())
        a.error("checkpoint", "missing: expected the train/checkpoint.pt of a `pita train` run.");
    const double t_target = a.get_double("temperature", 0.0, Bounds::at_least(0));
    if (!(t_target > 0))
        a.error("temperature", fmt::format("missing or out of range: got {}; expected the "
                                           "temperature to anneal to (> 0).",
                                           t_target));
    AnnealStageOptions o = read_anneal_stage_options(a);
    const ChiralityHandling chirality = read_chirality_handling(a);
    // A key of a run's anneal section that only the progressive loop uses (its buffers):
    // accepted and ignored, so a run's config can be passed as it is.
    a.ignore("energy_mask_threshold");
    // The target, schedule and networks come from the checkpoint's record, so the config of the
    // run that wrote it (`pita run CONFIG` or `pita train CONFIG`) can be passed as it is.
    for (const char* taken_from_checkpoint :
         {"energy", "schedule", "model", "train", "data", "ladder", "metrics", "mcmc", "output"})
        root.ignore(taken_from_checkpoint);
    cfg.finish();

    // The target, schedule and networks of the trained run, from the checkpoint's record.
    TrainedModels trained =
        load_trained_models(checkpoint, settings.device, settings.dtype, "anneal");
    Energy* energy = trained.energy.get();
    ScoreModel& score = *trained.score;
    EnergyModel& energy_model = *trained.energy_model;
    const NoiseSchedule& schedule = trained.schedule;
    const nlohmann::json& record = trained.record;
    const std::string untrained =
        untrained_energy_network_problem(trained.energy_network_trained, o);
    PITA_CHECK(untrained.empty(), "[anneal] {}: {}", checkpoint, untrained);
    setup_relaxation(*energy, o);
    const std::vector<ChiralCentre> centres = chiral_centres_of(*energy);
    require_centres_for(centres, chirality);
    const ReplayBuffer& newest = trained.newest_buffer();
    const double t_from = newest.temperature();
    check_anneal_temperatures(t_from, t_target);
    MemoryEstimate memory;
    add_anneal_memory(memory, o, energy->n_particles(), energy->spatial_dim(),
                      score.backbone().config(),
                      static_cast<int64_t>(c10::elementSize(settings.dtype)));
    require_memory(memory, "anneal");
    if (args.check_only) {
        return finish_check(
            args.print_config, cfg,
            fmt::format(
                "config OK: {} · T {:g} → {:g} from {} · {} samples × {} steps · memory {}\n",
                energy->name(), t_from, t_target, checkpoint, o.sde.n_samples, o.sde.steps,
                memory.summary()));
    }
    const int threads = set_threads(settings.threads);
    RunDirectory dir = RunDirectory::create(settings.output_dir);
    nlohmann::json run = make_run_record(cfg.resolved(), settings.seed, threads,
                                         settings.device.str(), args.command_line);
    run["command"] = "anneal";
    run["energy"] = energy->config();  // the target, for `pita evaluate`
    run["trained"] = {{"checkpoint", checkpoint},
                      {"step", record.value("step", 0)},
                      {"temperature", t_from},
                      {"beta", newest.beta()},
                      {"model", score.backbone().config()}};
    dir.write_run_json(run);
    std::cerr << fmt::format(
        "[pita anneal] {} · T {:g} → {:g} (γ = {:.4f}) · {} samples × {} steps · {} drift · {} "
        "divergence · seed {} · {} thread{} · output {}\n",
        energy->name(), t_from, t_target, t_from / t_target, o.sde.n_samples, o.sde.steps,
        o.reference_drift ? "reference" : "balanced",
        o.model.divergence == DivergenceEstimator::Exact ? "exact" : "Hutchinson", settings.seed,
        threads, threads == 1 ? "" : "s", dir.root());

    at::Generator gen = make_generator(settings.seed, settings.device);
    Progress bar("anneal", o.sde.steps);
    AnnealStageResult r =
        anneal_stage(*energy, score, energy_model, schedule, o, t_from, newest.beta(), t_target,
                     at::TensorOptions(settings.dtype).device(settings.device), gen,
                     [&](int64_t step, int64_t, const AnnealStepStats& s) {
                         bar.update(step, fmt::format("t {:.3f} ESS {:.0f}", s.t, s.ess));
                     });
    check_and_fix_chirality(r, centres, chirality);
    const nlohmann::json& summary = r.summary;
    bar.finish(fmt::format("{} resamplings", summary["sde"]["resampling_events"].get<int64_t>()));
    std::filesystem::create_directories(dir.path("anneal"));
    write_anneal_diagnostics(dir.path("anneal/diagnostics.csv"), r.stats);
    const std::string sub = temperature_dir(t_target);
    write_anneal_samples(dir.path(sub), r);
    write_json(dir.path("anneal.json"), summary);
    const nlohmann::json& evaluations = summary["energy_evaluations"];
    const nlohmann::json& sde = summary["sde"];
    fmt::print(
        "SMC: {} resamplings, min ESS {:.0f} of {}, min unique ancestors {}, {} of {} prior draws "
        "with descendants{}\n",
        sde["resampling_events"].get<int64_t>(), sde["min_ess"].get<double>(), o.sde.n_samples,
        sde["min_unique_ancestors"].get<int64_t>(), sde["lineages"].get<int64_t>(), o.sde.n_samples,
        summary.contains("correction")
            ? fmt::format("; end correction ESS {:.0f} ({} unique, {} prior draws)",
                          summary["correction"]["ess"].get<double>(),
                          summary["correction"]["unique_ancestors"].get<int64_t>(),
                          summary["correction"]["lineages"].get<int64_t>())
            : std::string());
    if (summary.contains("chirality")) {
        const nlohmann::json& c = summary["chirality"];
        fmt::print("chirality: {} L, {} mirrored, {} mixed{}{}\n",
                   c["before_fix"]["l_form"].get<int64_t>(),
                   c["before_fix"]["mirrored"].get<int64_t>(),
                   c["before_fix"]["mixed"].get<int64_t>(),
                   chirality.fix_mirrored ? fmt::format("; {} mirrored back (anneal.fix_mirrored)",
                                                        c["mirrored_back"].get<int64_t>())
                                          : std::string(),
                   chirality.l_form_only
                       ? fmt::format("; {} not L dropped (anneal.l_form_only), {} lineages left",
                                     c["dropped_not_l"].get<int64_t>(),
                                     c["lineages_after_drop"].get<int64_t>())
                       : std::string());
    }
    if (const std::string w = genealogy_warning(summary); !w.empty())
        fmt::print(stderr, "warning: {}\n", w);
    fmt::print(
        "annealed {} samples to T = {:g}: <E> = {:.3f}; {} target-energy evaluations "
        "(correction {}, relaxation {}); outputs in {}/\n",
        r.x.size(0), t_target, summary["mean_energy"].get<double>(),
        evaluations["correction"].get<int64_t>() + evaluations["relaxation"].get<int64_t>(),
        evaluations["correction"].get<int64_t>(), evaluations["relaxation"].get<int64_t>(),
        dir.root());
    return 0;
}

}  // namespace pita::cli
