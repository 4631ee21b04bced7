// `pita train CONFIG [key=value ...] [--resume RUN_DIR]`: trains the score and energy models on
// samples of a target at one temperature (a `.npy` dataset), with loss curves, periodic
// checkpoints and bitwise-identical resumption (CPU).
//
// Outputs (in the run directory):
//   run.json              what ran: version, resolved config, seed, threads, device
//   train/losses.csv      loss curve (pita/train/training_log.h documents the columns)
//   train/checkpoint.pt   both models, EMAs, optimizer, buffers, RNG, step
//   (pita/train/checkpoint.h) train/summary.json    steps, time, final losses, parameter counts,
//   energy evaluations
#include <chrono>
#include <filesystem>
#include <iostream>

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "console_observer.h"
#include "pita/config/config.h"
#include "pita/core/device.h"
#include "pita/core/error.h"
#include "pita/core/progress.h"
#include "pita/core/rng.h"
#include "pita/io/npy.h"
#include "pita/io/resume.h"
#include "pita/io/run_directory.h"
#include "pita/model/backbone_factory.h"
#include "pita/pipeline/backbone_fit.h"
#include "pita/pipeline/memory_plan.h"
#include "pita/targets/energy_factory.h"
#include "pita/train/checkpoint.h"
#include "pita/train/dataset.h"
#include "pita/train/trainer_config.h"
#include "pita/train/training_log.h"
#include "pita/train/training_loop.h"
#include "run_settings.h"

namespace pita::cli {

int run_train(const CommonArgs& args, const std::string& resume_dir) {
    std::vector<std::string> overrides = args.overrides;
    if (!resume_dir.empty()) overrides = resume_overrides("train", overrides, resume_dir);
    Config cfg = Config::load_file(args.config, overrides);
    const ConfigNode root = cfg.root();
    RunSettings settings = read_run_settings(
        root, std::filesystem::path(args.config).stem().string() + "-train", "float32");
    std::unique_ptr<Energy> energy = make_energy(root.child("energy"));

    const ConfigNode data = root.child("data");
    const std::string samples_path = data.get_string("samples", "");
    if (samples_path.empty())
        data.error("samples",
                   "missing: expected the path of a .npy file of samples, e.g. "
                   "runs/<mcmc run>/T4/samples.npy (from `pita mcmc`).");
    else if (!std::filesystem::is_regular_file(samples_path))
        data.error("samples", fmt::format("file not found: got '{}' (relative paths are taken "
                                          "from the current directory, {}).",
                                          samples_path, std::filesystem::current_path().string()));
    const double temperature = data.get_double("temperature", 0.0, Bounds::at_least(0));
    if (!(temperature > 0))
        data.error("temperature", fmt::format("missing or out of range: got {}; expected the "
                                              "temperature of the samples (> 0).",
                                              temperature));
    const double beta = data.get_double("beta", 1.0, Bounds::above(0));
    const int64_t max_rows = data.get_int("max_rows", 60000, Bounds::at_least(1));
    const NoiseSchedule schedule = make_noise_schedule(root.child("schedule"));
    const ConfigNode model = root.child("model");
    const ConfigNode train = root.child("train");
    const TrainerOptions options = read_trainer_options(train, schedule);
    const TrainingSchedule steps = read_training_schedule(train, TrainingStages::One);
    // A warm start: the networks (and EMAs) of an earlier run's checkpoint, trained on with this
    // config's losses and data from step 0 (on --resume, the run's own checkpoint has them).
    const std::string init_from = train.get_string("init_from", "");
    if (!init_from.empty() && !std::filesystem::is_regular_file(init_from))
        train.error("init_from", fmt::format("file not found: got '{}'; expected the "
                                             "train/checkpoint.pt of an earlier `pita train` or "
                                             "`pita run` with the same model section.",
                                             init_from));
    const int64_t total_steps = steps.first_steps;
    std::unique_ptr<Backbone> backbone =
        make_backbone(model, energy->n_particles(), energy->spatial_dim(), settings.seed);
    check_backbone_fits_target(model, backbone->config(), *energy);
    const double sigma_data = read_sigma_data(model);
    cfg.finish();  // every config problem is reported here, before any work
    MemoryEstimate memory;
    add_training_memory(memory, "data.max_rows", "train.batch_size", options.batch_size, max_rows,
                        1, energy->n_particles(), energy->spatial_dim(), backbone->config(),
                        static_cast<int64_t>(c10::elementSize(settings.dtype)));
    require_memory(memory, "train");
    if (args.check_only) {
        return finish_check(
            args.print_config, cfg,
            fmt::format(
                "config OK: {} · {} ({} parameters per network) · {} steps at batch {} · data "
                "{} · memory {}\n",
                energy->name(), backbone->name(), count_parameters(*backbone), total_steps,
                options.batch_size, samples_path, memory.summary()));
    }

    const int threads = set_threads(settings.threads);
    RunDirectory dir = open_run_directory(settings.output_dir, resume_dir);
    std::filesystem::create_directories(dir.path("train"));
    const std::string checkpoint_path = dir.path("train/checkpoint.pt");
    // A run stopped before its first checkpoint (killed, or its first write failed) has nothing
    // to continue from: --resume then starts it again from step 0 in the same directory.
    const bool resuming = !resume_dir.empty() && std::filesystem::exists(checkpoint_path);
    if (!resume_dir.empty() && !resuming)
        std::cerr << fmt::format("[pita train] --resume {}: no checkpoint yet; starting anew.\n",
                                 resume_dir);
    if (!resume_dir.empty()) {
        if (std::filesystem::exists(dir.path("run.json"))) {
            const std::string written_by =
                read_json(dir.path("run.json")).value("command", std::string("unknown"));
            PITA_CHECK(written_by == "train",
                       "[train] --resume {}: that directory was written by `pita {}`, not `pita "
                       "train`. Resume it with `pita {} CONFIG --resume {}`.",
                       resume_dir, written_by, written_by, resume_dir);
        }
        if (resuming) {
            const nlohmann::json saved = read_checkpoint_record(checkpoint_path);
            require_resumable_config("train", resume_dir, saved["config"], cfg.resolved(),
                                     train_may_change_on_resume,
                                     "train.steps, threads, device and output");
        }
    }

    ScoreModel score(std::move(backbone), sigma_data);
    EnergyModel energy_model(score.backbone().clone(), sigma_data);
    score.backbone().to(settings.device, settings.dtype);
    energy_model.backbone().to(settings.device, settings.dtype);
    Trainer trainer(score, energy_model, schedule, options, energy->translation_invariant());
    at::Generator gen = make_generator(settings.seed, settings.device);

    std::vector<ReplayBuffer> buffers;
    nlohmann::json record = make_run_record(cfg.resolved(), settings.seed, threads,
                                            settings.device.str(), args.command_line);
    record["command"] = "train";
    record["energy"] = energy->config();
    record["schedule"] = schedule.config();
    record["model"] = score.backbone().config();
    if (resuming) {
        load_checkpoint(checkpoint_path, trainer, buffers, gen);
        record["resumed_at_step"] = trainer.steps();
    } else {
        if (!init_from.empty()) {
            load_network_weights(init_from, trainer, cfg.resolved()["model"]);
            std::cout << fmt::format("[pita train] networks and EMAs from {}\n", init_from);
        }
        const at::Tensor samples = read_npy(samples_path);
        buffers.push_back(make_buffer(*energy, samples, temperature, beta, max_rows,
                                      fmt::format("dataset:{}:T={:g}", samples_path, temperature),
                                      at::TensorOptions(settings.dtype).device(settings.device),
                                      samples_path));
    }
    dir.write_run_json(record);
    const int64_t data_evaluations = energy->evaluations();
    std::cerr << fmt::format(
        "[pita train] {} · {} ({} parameters per network) · {} rows at T={:g} · batch {} · "
        "step {} of {} · seed {} · {} thread{} · output {}\n",
        energy->name(), score.backbone().name(), count_parameters(score.backbone()),
        buffers.front().size(), buffers.front().temperature(), options.batch_size, trainer.steps(),
        total_steps, settings.seed, threads, threads == 1 ? "" : "s", dir.root());

    TrainingLog log(dir.path("train/losses.csv"), resuming ? trainer.steps() : -1);
    auto save = [&] {
        save_checkpoint(checkpoint_path, trainer, buffers, gen,
                        {{"config", cfg.resolved()}, {"step", trainer.steps()}});
    };
    const auto start = std::chrono::steady_clock::now();
    const int64_t first_step = trainer.steps();
    TrainingLoopOptions loop;
    loop.until_step = total_steps;
    loop.log_every = steps.log_every;
    loop.checkpoint_every = steps.checkpoint_every;
    ConsoleObserver observer;
    const LossTerms last = run_training_loop(trainer, buffers, gen, loop, log, save, observer);

    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const int64_t steps_done = trainer.steps() - first_step;
    nlohmann::json summary = {{"steps", trainer.steps()},
                              {"steps_this_process", steps_done},
                              {"seconds_this_process", elapsed},
                              {"steps_per_second", elapsed > 0 ? steps_done / elapsed : 0.0},
                              {"parameters_per_network", count_parameters(score.backbone())},
                              {"energy_evaluations", data_evaluations},
                              {"buffers", nlohmann::json::array()}};
    if (last.total.defined()) summary["last_losses"] = terms_json(last);
    for (const auto& b : buffers)
        summary["buffers"].push_back({{"temperature", b.temperature()},
                                      {"beta", b.beta()},
                                      {"rows", b.size()},
                                      {"provenance", b.provenance()}});
    write_json(dir.path("train/summary.json"), summary);
    fmt::print("trained {} steps ({} in this process, {:.1f} steps/s); outputs in {}/\n",
               trainer.steps(), steps_done, summary["steps_per_second"].get<double>(), dir.root());
    return 0;
}

}  // namespace pita::cli
