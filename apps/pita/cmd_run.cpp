// `pita run CONFIG [--resume RUN_DIR]`: the progressive PITA loop (spec §6) down a temperature
// ladder T_0 > T_1 > … > T_L:
//   data      MALA samples at T_0 (counted), the first replay buffer
//   train i   score and energy networks on all buffers so far, β-conditioned (the LJ recipe)
//   anneal i  weighted SDE + SMC from T_i to T_{i+1} (anneal_stage.h); the samples, masked
//             (non-finite or |E/T| > energy_mask_threshold), become buffer i+1
//   metrics   every ladder temperature against the reference samples, when a reference exists
//
// Only samples the run produced itself enter training: MCMC at T_0 and its own annealed samples;
// references are read by the metrics phase alone. Every buffer records its provenance.
//
// Outputs (in the run directory):
//   run.json                   what ran (written once; a resume appends to "resumed")
//   state.json                 completed phases, target-energy evaluations and seconds by phase
//   data/T<T_0>/samples.npy    MCMC training data, energies.npy next to it
//   T<T>/samples.npy           annealed samples at T ([N, n, d] float32, mean-free), energies.npy
//                              (E, float64), anneal.json, diagnostics.csv (per SDE step)
//   train/losses.csv           training curves of all stages (stage, step, temperature, losses)
//   train/checkpoint.pt        networks, EMAs, optimizer, buffers, RNG: what --resume continues
//   train/stage<i>.pt          the same at the end of training stage i (before annealing from
//                              T_i), for `pita anneal anneal.checkpoint=...` on any rung
//   metrics.json               per temperature: metrics, reference, and the evaluation counts
//
// Resume: phases complete atomically (their outputs are renamed into place, then state.json);
// a killed run continues from the last checkpoint inside a training phase, and re-runs an
// interrupted annealing phase from its start with the same random stream.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <set>

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "memory_plan.h"
#include "metrics_table.h"
#include "pita/anneal/anneal_stage.h"
#include "pita/config/config.h"
#include "pita/core/device.h"
#include "pita/core/error.h"
#include "pita/core/progress.h"
#include "pita/core/rng.h"
#include "pita/io/atomic_file.h"
#include "pita/io/npy.h"
#include "pita/io/run_directory.h"
#include "pita/io/sample_set.h"
#include "pita/mcmc/parallel_tempering.h"
#include "pita/model/backbone_factory.h"
#include "pita/model/energy_model.h"
#include "pita/model/score_model.h"
#include "pita/pipeline/evaluation.h"
#include "pita/targets/energy_factory.h"
#include "pita/train/checkpoint.h"
#include "pita/train/dataset.h"
#include "pita/train/trainer_config.h"
#include "pita/train/training_log.h"
#include "run_settings.h"
#include "train_helpers.h"

namespace pita::cli {

namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

/// What a resumed run may change: where and how fast it runs.
bool may_change_on_resume(const std::string& key) {
    return key == "output_dir" || key == "threads" || key == "device";
}

/// state.json: the completed phases and the running totals, rewritten atomically after each.
struct RunState {
    std::set<std::string> done;
    nlohmann::json evaluations = {{"data", 0}, {"buffer", 0}, {"correction", 0}, {"relaxation", 0}};
    nlohmann::json seconds = nlohmann::json::object();

    void save(const RunDirectory& dir) const {
        write_json(
            dir.path("state.json"),
            {{"phases_done", done}, {"energy_evaluations", evaluations}, {"seconds", seconds}});
    }
    static RunState load(const RunDirectory& dir) {
        RunState s;
        const std::string path = dir.path("state.json");
        if (!std::filesystem::exists(path)) return s;
        const nlohmann::json j = read_json(path);
        s.done = j.at("phases_done").get<std::set<std::string>>();
        s.evaluations = j.at("energy_evaluations");
        s.seconds = j.at("seconds");
        return s;
    }
    void add_seconds(const std::string& phase, double s) {
        seconds[phase] = seconds.value(phase, 0.0) + s;
    }
    void add_evaluations(const std::string& phase, int64_t n) {
        evaluations[phase] = evaluations.value(phase, int64_t{0}) + n;
    }
};

}  // namespace

int run_pipeline(const CommonArgs& args, const std::string& resume_dir) {
    const std::vector<std::string> overrides =
        resume_dir.empty() ? args.overrides : resume_overrides("run", args.overrides, resume_dir);
    Config cfg = Config::load_file(args.config, overrides);
    const ConfigNode root = cfg.root();
    const RunSettings settings = read_run_settings(
        root, std::filesystem::path(args.config).stem().string() + "-run", "float32");
    std::unique_ptr<Energy> energy = make_energy(root.child("energy"));
    const std::vector<double> ladder =
        root.get_double_list("ladder", {4.0, 3.0, 2.0, 1.5, 1.2, 1.0}, Bounds::above(0));
    bool ladder_ok = ladder.size() >= 2;
    for (std::size_t i = 1; i < ladder.size(); ++i) ladder_ok &= ladder[i] < ladder[i - 1];
    for (double t : ladder) ladder_ok &= t > 0;
    if (!ladder_ok)
        root.error("ladder",
                   "expected at least two positive temperatures in decreasing order, "
                   "e.g. [4, 3, 2, 1.5, 1.2, 1.0].");
    const double t_top = ladder.front();

    const ConfigNode data = root.child("data");
    MalaOptions mala;
    mala.initial_step_size =
        data.get_double("step_size", mala.initial_step_size, Bounds::above(0).at_most(10));
    mala.target_acceptance =
        data.get_double("target_acceptance", mala.target_acceptance, Bounds::above(0).below(1));
    ParallelTemperingOptions pt;
    pt.temperatures = {t_top};
    pt.chains_per_temperature = data.get_int("n_chains", 256, Bounds::at_least(1));
    pt.warmup_steps = data.get_int("warmup_steps", 2000, Bounds::at_least(0));
    pt.production_steps = data.get_int("production_steps", 16000, Bounds::at_least(1));
    pt.thin = data.get_int("thin", 400, Bounds::at_least(1));
    if (pt.thin > pt.production_steps)
        data.error("thin", fmt::format("got {} for {} production steps; expected thin <= "
                                       "production_steps (else no sample is kept).",
                                       pt.thin, pt.production_steps));
    const int64_t max_rows = data.get_int("max_rows", 60000, Bounds::at_least(1));

    const NoiseSchedule schedule = make_noise_schedule(root.child("schedule"));
    const ConfigNode train = root.child("train");
    const TrainerOptions train_options = read_trainer_options(train, schedule);
    const int64_t first_steps = train.get_int("steps", 2000, Bounds::at_least(1));
    const int64_t later_steps =
        train.get_int("steps_after_first", first_steps, Bounds::at_least(1));
    // Optional per-stage step counts (the reference's num_epochs_per_temp); they replace
    // steps/steps_after_first when given.
    std::vector<int64_t> stage_steps;
    for (double v : train.get_double_list("stage_steps", {})) {
        if (!(v >= 1) || v != std::floor(v)) {
            train.error("stage_steps", fmt::format("expected positive whole numbers of steps; got "
                                                   "{}.",
                                                   v));
            break;
        }
        stage_steps.push_back(static_cast<int64_t>(v));
    }
    if (!stage_steps.empty() && stage_steps.size() + 1 != ladder.size())
        train.error("stage_steps",
                    fmt::format("has {} entries for a ladder of {} temperatures; expected one per "
                                "training stage ({}).",
                                stage_steps.size(), ladder.size(), ladder.size() - 1));
    const int64_t log_every = train.get_int("log_every", 10, Bounds::at_least(1));
    // 0: only at the end of each stage.
    const int64_t checkpoint_every = train.get_int("checkpoint_every", 500, Bounds::at_least(0));

    const ConfigNode anneal_node = root.child("anneal");
    const AnnealStageOptions anneal_options = read_anneal_stage_options(anneal_node);
    const double mask_threshold =
        anneal_node.get_double("energy_mask_threshold", 1000.0, Bounds::above(0));

    const ConfigNode metrics_node = root.child("metrics");
    const std::string reference_root = metrics_node.get_string("reference", "");
    // Refused up front: a mistyped or cwd-relative reference would otherwise cost a whole run
    // and then silently score nothing.
    if (!reference_root.empty() && !std::filesystem::is_directory(reference_root))
        metrics_node.error("reference",
                           fmt::format("directory '{}' not found (relative paths are taken from "
                                       "the current directory, {}). Run from the repository "
                                       "root, give an absolute path, or set metrics.reference=''"
                                       " to skip the reference metrics.",
                                       reference_root, std::filesystem::current_path().string()));
    EvaluationOptions eval_options;
    eval_options.max_samples =
        metrics_node.get_int("max_samples", eval_options.max_samples, Bounds::at_least(1));
    // 0 skips the equivariant W2.
    eval_options.equivariant_samples = metrics_node.get_int(
        "equivariant_samples", eval_options.equivariant_samples, Bounds::between(0, 100000));
    eval_options.seed = settings.seed;
    add_target_torsions(*energy, eval_options);

    std::unique_ptr<Backbone> backbone = make_backbone(root.child("model"), energy->n_particles(),
                                                       energy->spatial_dim(), settings.seed);
    const double sigma_data = read_sigma_data(root.child("model"));
    cfg.finish();  // every config problem is reported here, before any work
    const int64_t n_particles = energy->n_particles();
    const int64_t dim = energy->spatial_dim();
    MemoryEstimate memory;
    memory.add("data.n_chains", sampler_state_bytes(pt.chains_per_temperature, n_particles, dim),
               "the MCMC chains");
    memory.add("data.production_steps",
               2.0 * stored_rows_bytes((pt.production_steps / pt.thin) * pt.chains_per_temperature,
                                       n_particles, dim),
               "kept MCMC samples (production_steps / thin per chain)");
    const auto float_bytes = static_cast<int64_t>(c10::elementSize(settings.dtype));
    add_training_memory(memory, "data.max_rows", "train.batch_size", train_options.batch_size,
                        max_rows, static_cast<int64_t>(ladder.size()) - 1, n_particles, dim,
                        backbone->config(), float_bytes);
    add_anneal_memory(memory, anneal_options, n_particles, dim, backbone->config(), float_bytes);
    require_memory(memory, "run");
    if (args.check_only) {
        std::vector<int64_t> steps;
        for (std::size_t i = 0; i + 1 < ladder.size(); ++i)
            steps.push_back(i < stage_steps.size() ? stage_steps[i]
                            : i == 0               ? first_steps
                                                   : later_steps);
        return finish_check(
            args.print_config, cfg,
            fmt::format(
                "config OK: {} · ladder {} · {} ({} parameters per network) · data {} chains × {} "
                "steps · training steps per rung {} at batch {} · annealing {} particles × {} "
                "steps ({} divergence) · device {} · memory {}\n",
                energy->name(), fmt::join(ladder, " → "), backbone->name(),
                count_parameters(*backbone), pt.chains_per_temperature,
                pt.warmup_steps + pt.production_steps, fmt::join(steps, "/"),
                train_options.batch_size, anneal_options.sde.n_samples, anneal_options.sde.steps,
                anneal_options.model.divergence == DivergenceEstimator::Exact ? "exact"
                                                                              : "Hutchinson",
                settings.device.str(), memory.summary()));
    }

    const int threads = set_threads(settings.threads);
    const bool resuming = !resume_dir.empty();
    RunDirectory dir = open_run_directory(settings.output_dir, resume_dir);
    const std::string checkpoint_path = dir.path("train/checkpoint.pt");
    RunState state = RunState::load(dir);
    if (resuming) {
        // The metrics are computed afresh at the end of every session, and the anneal section is
        // read only by phases that have not started yet: a resume may correct both (the new
        // values are recorded in run.json's "resumed" entry).
        const bool annealed =
            std::any_of(state.done.begin(), state.done.end(),
                        [](const std::string& p) { return p.rfind("anneal", 0) == 0; });
        auto may_change = [annealed](const std::string& key) {
            return may_change_on_resume(key) || key.rfind("metrics.", 0) == 0 ||
                   (!annealed && key.rfind("anneal.", 0) == 0);
        };
        nlohmann::json record = read_resumable_record(
            dir, "run", resume_dir, cfg.resolved(), may_change,
            annealed ? "threads, device, output and metrics.*"
                     : "threads, device, output, metrics.* and (before the first annealing "
                       "phase) anneal.*");
        record["resumed"].push_back(make_run_record(cfg.resolved(), settings.seed, threads,
                                                    settings.device.str(), args.command_line));
        dir.write_run_json(record);
    } else {
        nlohmann::json record = make_run_record(cfg.resolved(), settings.seed, threads,
                                                settings.device.str(), args.command_line);
        record["command"] = "run";
        record["energy"] = energy->config();
        record["schedule"] = schedule.config();
        record["model"] = backbone->config();
        dir.write_run_json(record);
    }
    std::filesystem::create_directories(dir.path("train"));

    ScoreModel score(std::move(backbone), sigma_data);
    EnergyModel energy_model(score.backbone().clone(), sigma_data);
    score.backbone().to(settings.device, settings.dtype);
    energy_model.backbone().to(settings.device, settings.dtype);
    // Sampling copies: annealing uses the EMA weights without touching the trained ones.
    ScoreModel score_ema(score.backbone().clone(), sigma_data);
    EnergyModel energy_ema(score.backbone().clone(), sigma_data);
    Trainer trainer(score, energy_model, schedule, train_options, energy->translation_invariant());
    at::Generator gen = make_generator(settings.seed, settings.device);
    std::vector<ReplayBuffer> buffers;
    if (std::filesystem::exists(checkpoint_path))
        load_checkpoint(checkpoint_path, trainer, buffers, gen);
    auto save = [&](int64_t stage) {
        save_checkpoint(checkpoint_path, trainer, buffers, gen,
                        {{"config", cfg.resolved()}, {"step", trainer.steps()}, {"stage", stage}});
    };
    const at::TensorOptions tensor_options =
        at::TensorOptions(settings.dtype).device(settings.device);

    std::cerr << fmt::format(
        "[pita run] {} · ladder {} · {} ({} parameters per network) · seed {} · {} thread{} · "
        "output {}{}\n",
        energy->name(), fmt::join(ladder, " → "), score.backbone().name(),
        count_parameters(score.backbone()), settings.seed, threads, threads == 1 ? "" : "s",
        dir.root(),
        resuming ? fmt::format(" · resuming after {} completed phase{}", state.done.size(),
                               state.done.size() == 1 ? "" : "s")
                 : "");

    // ---- data: MCMC at the top temperature -------------------------------------------------
    if (!state.done.count("data")) {
        const auto t0 = std::chrono::steady_clock::now();
        ParallelTempering sampler(*energy, mala, pt);
        at::Generator mcmc_gen =
            make_generator(settings.seed ^ 0xD1B54A32D192ED03ULL, settings.device);
        at::Generator init_gen = make_generator(settings.seed ^ 0x9E3779B97F4A7C15ULL);
        const at::Tensor x0 = energy->initial_configurations(sampler.n_chains(), init_gen)
                                  .to(settings.device, at::kDouble);
        PhasedProgress bars("data ");
        const McmcResult result =
            sampler.run(x0, mcmc_gen,
                        [&](const std::string& p, int64_t step, int64_t total,
                            const std::string& extra) { bars.update(p, step, total, extra); });
        bars.finish();
        const TemperatureSamples& top = result.per_temperature.front();
        const std::string sub = "data/" + temperature_dir(t_top);
        std::filesystem::create_directories(dir.path(sub));
        write_npy(dir.path(sub + "/samples.npy"), top.x.to(at::kFloat).cpu());
        write_npy(dir.path(sub + "/energies.npy"), top.energy.to(at::kDouble).cpu());
        state.add_evaluations("data", result.energy_evaluations);
        const int64_t before = energy->evaluations();
        buffers.clear();
        buffers.push_back(make_buffer(*energy, top.x, t_top, 1.0, max_rows,
                                      fmt::format("mcmc:T={:g}", t_top), tensor_options,
                                      dir.path(sub + "/samples.npy")));
        state.add_evaluations("buffer", energy->evaluations() - before);
        save(0);
        state.done.insert("data");
        state.add_seconds("data", seconds_since(t0));
        state.save(dir);
        fmt::print("data: {} MALA samples at T = {:g} ({} target-energy evaluations)\n",
                   top.x.size(0), t_top, result.energy_evaluations);
    }

    // ---- the ladder ------------------------------------------------------------------------
    TrainingLog log(dir.path("train/losses.csv"), trainer.steps());
    int64_t step_target = 0;
    for (std::size_t i = 0; i + 1 < ladder.size(); ++i) {
        const double t_from = ladder[i];
        const double t_to = ladder[i + 1];
        const auto stage = static_cast<int64_t>(i);
        step_target += i < stage_steps.size() ? stage_steps[i] : i == 0 ? first_steps : later_steps;
        const std::string train_phase = fmt::format("train{}", i);
        if (!state.done.count(train_phase)) {
            const auto t0 = std::chrono::steady_clock::now();
            // The bar counts this stage's steps (the trainer's step count runs across stages).
            const int64_t stage_start = trainer.steps();
            Progress bar(fmt::format("train T={:g}", t_from), step_target - stage_start);
            LossTerms last;
            while (trainer.steps() < step_target) {
                last = trainer.step(buffers, gen);
                const int64_t step = trainer.steps();
                PITA_CHECK_AS(NumericalError, std::isfinite(last.total.item<double>()),
                              "[run] the loss became {} at step {} (stage {}). Lower "
                              "train.learning_rate; the last checkpoint is intact.",
                              last.total.item<double>(), step, stage);
                if (step % log_every == 0 || step == step_target) {
                    log.append(
                        {stage, step,
                         buffers[static_cast<std::size_t>(trainer.last_buffer())].temperature(),
                         last, trainer.last_grad_norm(), seconds_since(t0)});
                    bar.update(step - stage_start, loss_summary(last));
                }
                if (checkpoint_every > 0 && step % checkpoint_every == 0) save(stage);
            }
            save(stage);
            // Kept per stage, so any rung can be re-sampled later (`pita anneal
            // anneal.checkpoint=RUN/train/stage<i>.pt`), e.g. at γ = 1 as a model check.
            copy_file_atomically(checkpoint_path, dir.path(fmt::format("train/stage{}.pt", i)));
            bar.finish(last.total.defined() ? loss_summary(last) : "");
            state.done.insert(train_phase);
            state.add_seconds("train", seconds_since(t0));
            state.save(dir);
        }

        const std::string anneal_phase = fmt::format("anneal{}", i);
        if (state.done.count(anneal_phase)) continue;
        const auto t0 = std::chrono::steady_clock::now();
        trainer.copy_ema_to(score_ema, energy_ema);  // sampling uses the EMA weights (§4.6)
        score_ema.backbone().train(false);
        energy_ema.backbone().train(false);
        at::Generator anneal_gen = make_generator(settings.seed + 1000 + i, settings.device);
        Progress bar(fmt::format("anneal T={:g}→{:g}", t_from, t_to), anneal_options.sde.steps);
        const double beta_from = t_top / t_from;
        AnnealStageResult r = anneal_stage(
            *energy, score_ema, energy_ema, schedule, anneal_options, t_from, beta_from, t_to,
            tensor_options, anneal_gen, [&](int64_t step, int64_t, const AnnealStepStats& s) {
                bar.update(step, fmt::format("t {:.3f} ESS {:.0f}", s.t, s.ess));
            });
        bar.finish(fmt::format("min ESS {:.0f}", r.summary["sde"]["min_ess"].get<double>()));
        const std::string sub = temperature_dir(t_to);
        write_sample_set(dir.path(sub), r.x, r.energy);
        if (r.x_before_relaxation.defined())
            write_sample_set(dir.path(sub + "/" + kBeforeRelaxationDir), r.x_before_relaxation,
                             r.energy_before_relaxation);
        write_anneal_diagnostics(dir.path(sub + "/diagnostics.csv"), r.stats);
        write_json(dir.path(sub + "/anneal.json"), r.summary);
        state.add_evaluations("correction",
                              r.summary["energy_evaluations"]["correction"].get<int64_t>());
        state.add_evaluations("relaxation",
                              r.summary["energy_evaluations"]["relaxation"].get<int64_t>());
        if (i + 2 < ladder.size()) {
            // The next buffer (spec §6.2): drop non-finite and extreme energies; if that would
            // drop everything, keep every finite row.
            const at::Tensor e = r.energy.to(at::kCPU);
            at::Tensor keep = at::isfinite(e) & (e / t_to).abs().le(mask_threshold);
            if (keep.sum().item<int64_t>() == 0) keep = at::isfinite(e);
            PITA_CHECK_AS(NumericalError, keep.sum().item<int64_t>() > 0,
                          "[run] annealing to T = {:g} produced no sample with a finite energy. "
                          "Train longer (train.steps) or use more annealing steps.",
                          t_to);
            // A kill between this checkpoint and state.json leaves the buffer saved but the phase
            // open: the re-run replaces it instead of adding a second copy.
            if (buffers.size() > i + 1)
                buffers.erase(buffers.begin() + static_cast<std::ptrdiff_t>(i + 1), buffers.end());
            const int64_t before = energy->evaluations();
            buffers.push_back(make_buffer(
                *energy, r.x.index({keep.to(r.x.device())}), t_to, t_top / t_to, max_rows,
                fmt::format("annealed:T={:g} from models trained at T={:g} (stage {})", t_to,
                            t_from, i),
                tensor_options, dir.path(sub + "/samples.npy")));
            state.add_evaluations("buffer", energy->evaluations() - before);
            save(stage);
        }
        state.done.insert(anneal_phase);
        state.add_seconds("anneal", seconds_since(t0));
        state.save(dir);
        fmt::print("T = {:g}: {} samples, <E> = {:.3f}, min SMC ESS {:.0f}{}\n", t_to, r.x.size(0),
                   r.summary["mean_energy"].get<double>(),
                   r.summary["sde"]["min_ess"].get<double>(),
                   r.summary.contains("correction")
                       ? fmt::format(", end correction ESS {:.0f}",
                                     r.summary["correction"]["ess"].get<double>())
                       : std::string());
    }

    // ---- metrics ---------------------------------------------------------------------------
    const auto t_metrics = std::chrono::steady_clock::now();
    nlohmann::json metrics;
    const int64_t before_metrics = energy->evaluations();
    for (std::size_t i = 0; i < ladder.size(); ++i) {
        const std::string sub =
            i == 0 ? "data/" + temperature_dir(ladder[i]) : temperature_dir(ladder[i]);
        const at::Tensor x = read_npy(dir.path(sub + "/samples.npy"));
        const at::Tensor e = read_npy(dir.path(sub + "/energies.npy"));
        const auto reference = reference_directory(reference_root, ladder[i]);
        nlohmann::json m = evaluate_samples(*energy, x, e, ladder[i], reference, eval_options);
        m["temperature"] = ladder[i];
        m["samples_file"] = sub + "/samples.npy";
        m["source"] = i == 0 ? "mcmc" : "annealed";
        // What the networks delivered, beside what the relaxation made of it.
        const std::string raw = sub + "/" + kBeforeRelaxationDir;
        if (std::filesystem::exists(dir.path(raw + "/samples.npy"))) {
            nlohmann::json b = evaluate_samples(*energy, read_npy(dir.path(raw + "/samples.npy")),
                                                read_npy(dir.path(raw + "/energies.npy")),
                                                ladder[i], reference, eval_options);
            b["temperature"] = ladder[i];
            b["samples_file"] = raw + "/samples.npy";
            b["source"] = "networks";
            m["before_relaxation"] = b;
        }
        metrics["temperatures"].push_back(m);
    }
    state.add_seconds("metrics", seconds_since(t_metrics));
    int64_t sampler_total = 0;
    for (const auto& [phase, n] : state.evaluations.items()) sampler_total += n.get<int64_t>();
    metrics["energy_evaluations"] = state.evaluations;
    metrics["energy_evaluations"]["total"] = sampler_total;
    metrics["metric_energy_evaluations"] = energy->evaluations() - before_metrics;
    metrics["seconds"] = state.seconds;
    for (const auto& b : buffers)
        metrics["buffers"].push_back({{"temperature", b.temperature()},
                                      {"beta", b.beta()},
                                      {"rows", b.size()},
                                      {"provenance", b.provenance()}});
    metrics["training_steps"] = trainer.steps();
    write_json(dir.path("metrics.json"), metrics);
    state.save(dir);

    print_metrics_table(metrics["temperatures"]);
    fmt::print(
        "\ntarget-energy evaluations: {} (data {}, buffers {}, correction {}, relaxation "
        "{}); metrics used {} more. Outputs in {}/\n",
        sampler_total, state.evaluations["data"].get<int64_t>(),
        state.evaluations["buffer"].get<int64_t>(), state.evaluations["correction"].get<int64_t>(),
        state.evaluations["relaxation"].get<int64_t>(),
        metrics["metric_energy_evaluations"].get<int64_t>(), dir.root());
    return 0;
}

}  // namespace pita::cli
