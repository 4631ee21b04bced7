#include "pita/pipeline/progressive_run.h"

#include <chrono>
#include <cmath>
#include <filesystem>

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "pita/config/config.h"
#include "pita/core/error.h"
#include "pita/core/rng.h"
#include "pita/core/run_observer.h"
#include "pita/energy/energy.h"
#include "pita/io/atomic_file.h"
#include "pita/io/npy.h"
#include "pita/io/resume.h"
#include "pita/io/run_directory.h"
#include "pita/io/sample_set.h"
#include "pita/io/trajectory.h"
#include "pita/model/backbone.h"
#include "pita/model/backbone_factory.h"
#include "pita/model/energy_model.h"
#include "pita/model/score_model.h"
#include "pita/molecule/molecular_graph.h"
#include "pita/pipeline/backbone_fit.h"
#include "pita/pipeline/chirality_fix.h"
#include "pita/pipeline/memory_plan.h"
#include "pita/pipeline/regeneration_check.h"
#include "pita/pipeline/relaxation_setup.h"
#include "pita/pipeline/run_state.h"
#include "pita/report/run_report.h"
#include "pita/targets/energy_factory.h"
#include "pita/train/checkpoint.h"
#include "pita/train/dataset.h"
#include "pita/train/trained_models.h"
#include "pita/train/trainer_config.h"
#include "pita/train/training_log.h"
#ifdef PITA_WITH_OPENMM
#include "pita/md/md_simulation.h"
#include "pita/molecule/molecule.h"
#include "pita/molecule/torsions.h"
#endif
#ifdef PITA_WITH_OPENMM
#endif

namespace pita {

namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

std::vector<double> read_ladder(const ConfigNode& root) {
    const std::vector<double> ladder =
        root.get_double_list("ladder", {4.0, 3.0, 2.0, 1.5, 1.2, 1.0}, Bounds::above(0));
    bool ok = ladder.size() >= 2;
    for (std::size_t i = 1; i < ladder.size(); ++i) ok &= ladder[i] < ladder[i - 1];
    for (double t : ladder) ok &= t > 0;
    if (!ok)
        root.error("ladder",
                   "expected at least two positive temperatures in decreasing order, "
                   "e.g. [4, 3, 2, 1.5, 1.2, 1.0].");
    return ladder;
}

std::string read_reference_root(const ConfigNode& metrics) {
    const std::string root = metrics.get_string("reference", "");
    // Refused up front: a mistyped or cwd-relative reference would otherwise cost a whole run
    // and then silently score nothing.
    if (!root.empty() && !std::filesystem::is_directory(root))
        metrics.error("reference",
                      fmt::format("directory '{}' not found (relative paths are taken from the "
                                  "current directory, {}). Run from the repository root, give an "
                                  "absolute path, or set metrics.reference='' to skip the "
                                  "reference metrics.",
                                  root, std::filesystem::current_path().string()));
    return root;
}

/// Molecules: the rung's samples as a DCD in Å (`mdtraj.load_dcd(f, top=the PDB)`; frames are
/// samples, not a time series) and their φ/ψ angles, [N, n_torsions] radians (torsions.npy, in
/// the order of metrics.json's torsion_names). Other targets: nothing.
void write_molecule_views([[maybe_unused]] const std::string& dir,
                          [[maybe_unused]] const Energy& energy,
                          [[maybe_unused]] const at::Tensor& x) {
#ifdef PITA_WITH_OPENMM
    if (energy.molecular_graph() == nullptr) return;
    const at::Tensor x64 = x.to(at::kCPU, at::kDouble);
    write_dcd(dir + "/trajectory.dcd", md_target(energy).to_nm(x64), 1.0,
              "pita run samples (independent, not a time series)");
    const std::vector<Torsion> torsions = energy.ramachandran_torsions();
    if (!torsions.empty())
        write_npy(dir + "/torsions.npy", dihedral_angles(x64, torsion_atoms(torsions)));
#endif
}

/// metrics.json's "source" of the data rung.
std::string data_source(const DataPhaseOptions& data) {
    return data.sampler == DataSampler::Md ? "md" : "mcmc";
}

/// The folder of ladder rung `i`'s samples: data/T<T_0> for the data, T<T_i> for annealed rungs.
std::string rung_dir(const std::vector<double>& ladder, std::size_t i) {
    return i == 0 ? "data/" + temperature_dir(ladder[i]) : temperature_dir(ladder[i]);
}

}  // namespace

ProgressiveRunPlan::ProgressiveRunPlan(NoiseSchedule noise_schedule)
    : schedule(std::move(noise_schedule)) {}
ProgressiveRunPlan::ProgressiveRunPlan(ProgressiveRunPlan&&) noexcept = default;
ProgressiveRunPlan& ProgressiveRunPlan::operator=(ProgressiveRunPlan&&) noexcept = default;
ProgressiveRunPlan::~ProgressiveRunPlan() = default;

ProgressiveRunPlan read_progressive_run_plan(const ConfigNode& root,
                                             const std::string& default_stem) {
    const RunSettings settings = read_run_settings(root, default_stem, "float32");
    std::unique_ptr<Energy> energy = make_energy(root.child("energy"));
    const std::vector<double> ladder = read_ladder(root);
    const DataPhaseOptions data =
        read_data_phase_options(root.child("data"), energy->molecular_graph() != nullptr);
    ProgressiveRunPlan plan(make_noise_schedule(root.child("schedule")));
    ProgressiveRunOptions& o = plan.options;
    o.settings = settings;
    o.ladder = ladder;
    o.data = data;
    const ConfigNode train = root.child("train");
    o.trainer = read_trainer_options(train, plan.schedule);
    o.training = read_training_schedule(train, TrainingStages::Progressive,
                                        static_cast<int64_t>(ladder.size()) - 1);
    const ConfigNode anneal = root.child("anneal");
    o.anneal = read_anneal_stage_options(anneal);
    if (const std::string why = untrained_energy_network_problem(
            trains_energy_network(o.trainer.losses.weights), o.anneal);
        !why.empty())
        train.child("losses").error("energy_score", why);
    if (o.anneal.sigma_end >= plan.schedule.sigma_max())
        anneal.error(
            "sigma_min",
            fmt::format("got {:g}; expected below schedule.sigma_max = {:g} (the SDE's grid "
                        "ends there; 0 or unset = schedule.sigma_min).",
                        o.anneal.sigma_end, plan.schedule.sigma_max()));
    o.energy_mask_threshold =
        anneal.get_double("energy_mask_threshold", o.energy_mask_threshold, Bounds::above(0));
    const ConfigNode metrics = root.child("metrics");
    try {
        setup_relaxation(*energy, o.anneal);
    } catch (const ConfigError& e) {
        anneal.error("relaxation", e.what());
    }
    o.chirality = read_chirality_handling(anneal);
    o.reference_root = read_reference_root(metrics);
    o.regeneration_samples =
        metrics.get_int("regeneration_samples", 0, Bounds::between(0, 1000000));
    o.evaluation.max_samples =
        metrics.get_int("max_samples", o.evaluation.max_samples, Bounds::at_least(1));
    // 0 skips the equivariant W2.
    o.evaluation.equivariant_samples = metrics.get_int(
        "equivariant_samples", o.evaluation.equivariant_samples, Bounds::between(0, 100000));
    o.evaluation.seed = settings.seed;
    add_target_torsions(*energy, o.evaluation);
    plan.backbone = make_backbone(root.child("model"), energy->n_particles(), energy->spatial_dim(),
                                  settings.seed);
    plan.sigma_data = read_sigma_data(root.child("model"));
    check_backbone_fits_target(root.child("model"), plan.backbone->config(), *energy);
    check_chirality_options(root, *energy, plan.backbone->config().value("type", ""), o.chirality);
    plan.energy = std::move(energy);
    return plan;
}

std::vector<double> temperatures_without_reference(const ProgressiveRunOptions& options) {
    std::vector<double> missing;
    if (options.reference_root.empty()) return missing;
    for (double t : options.ladder)
        if (!reference_directory(options.reference_root, t)) missing.push_back(t);
    return missing;
}

MemoryEstimate estimate_progressive_run_memory(const ProgressiveRunPlan& plan) {
    const ProgressiveRunOptions& o = plan.options;
    const int64_t n = plan.energy->n_particles();
    const int64_t d = plan.energy->spatial_dim();
    MemoryEstimate memory;
    const bool md = o.data.sampler == DataSampler::Md;
    memory.add(md ? "data.md.n_replicas" : "data.n_chains",
               sampler_state_bytes(o.data.parallel_states(), n, d),
               md ? "the MD replicas" : "the MCMC chains");
    memory.add(md ? "data.md.n_frames" : "data.production_steps",
               2.0 * stored_rows_bytes(o.data.kept_rows(), n, d),
               md ? "kept MD frames" : "kept MCMC samples (production_steps / thin per chain)");
    const auto float_bytes = static_cast<int64_t>(c10::elementSize(o.settings.dtype));
    add_training_memory(memory, "data.max_rows", "train.batch_size", o.trainer.batch_size,
                        o.data.max_rows, static_cast<int64_t>(o.ladder.size()) - 1, n, d,
                        plan.backbone->config(), float_bytes);
    add_anneal_memory(memory, o.anneal, n, d, plan.backbone->config(), float_bytes);
    return memory;
}

bool progressive_run_may_change_on_resume(const std::string& key, bool annealed) {
    return key == "output_dir" || key == "threads" || key == "device" ||
           key.rfind("metrics.", 0) == 0 || (!annealed && key.rfind("anneal.", 0) == 0);
}

nlohmann::json run_progressive(ProgressiveRunPlan& plan, const RunDirectory& dir,
                               const RunInvocation& invocation, RunObserver& observer) {
    const ProgressiveRunOptions& o = plan.options;
    const Energy& energy = *plan.energy;
    const std::vector<double>& ladder = o.ladder;
    const double t_top = ladder.front();
    const RunSettings& settings = o.settings;
    PITA_CHECK(plan.backbone != nullptr,
               "[run] the plan's backbone was already used: read a new plan for each run.");

    const std::string checkpoint_path = dir.path("train/checkpoint.pt");
    RunState state = RunState::load(dir);
    if (invocation.resume) {
        // The metrics are computed afresh at the end of every session, and the anneal section is
        // read only by phases that have not started yet: a resume may correct both (the new
        // values are recorded in run.json's "resumed" entry).
        const bool annealed = state.any_done_with_prefix("anneal");
        nlohmann::json record = read_resumable_record(
            dir, "run", dir.root(), invocation.resolved_config,
            [annealed](const std::string& key) {
                return progressive_run_may_change_on_resume(key, annealed);
            },
            annealed ? "threads, device, output and metrics.*"
                     : "threads, device, output, metrics.* and (before the first annealing "
                       "phase) anneal.*");
        record["resumed"].push_back(make_run_record(invocation.resolved_config, settings.seed,
                                                    invocation.threads, settings.device.str(),
                                                    invocation.command_line));
        dir.write_run_json(record);
    } else {
        nlohmann::json record =
            make_run_record(invocation.resolved_config, settings.seed, invocation.threads,
                            settings.device.str(), invocation.command_line);
        record["command"] = "run";
        record["energy"] = energy.config();
        record["schedule"] = plan.schedule.config();
        record["model"] = plan.backbone->config();
        dir.write_run_json(record);
    }
    std::filesystem::create_directories(dir.path("train"));

    const std::string backbone_name = plan.backbone->name();
    const int64_t parameters = count_parameters(*plan.backbone);
    ScoreModel score(std::move(plan.backbone), plan.sigma_data);
    EnergyModel energy_model(score.backbone().clone(), plan.sigma_data);
    score.backbone().to(settings.device, settings.dtype);
    energy_model.backbone().to(settings.device, settings.dtype);
    // Sampling copies: annealing uses the EMA weights without touching the trained ones.
    ScoreModel score_ema(score.backbone().clone(), plan.sigma_data);
    EnergyModel energy_ema(score.backbone().clone(), plan.sigma_data);
    Trainer trainer(score, energy_model, plan.schedule, o.trainer, energy.translation_invariant());
    at::Generator gen =
        make_generator(stream_seed(settings.seed, RandomStream::Training), settings.device);
    std::vector<ReplayBuffer> buffers;
    if (std::filesystem::exists(checkpoint_path))
        load_checkpoint(checkpoint_path, trainer, buffers, gen);
    auto save = [&](int64_t stage) {
        save_checkpoint(
            checkpoint_path, trainer, buffers, gen,
            {{"config", invocation.resolved_config}, {"step", trainer.steps()}, {"stage", stage}});
    };
    const at::TensorOptions tensor_options =
        at::TensorOptions(settings.dtype).device(settings.device);

    observer.message(fmt::format(
        "[pita run] {} · ladder {} · {} ({} parameters per network) · seed {} · {} thread{} · "
        "output {}{}",
        energy.name(), fmt::join(ladder, " → "), backbone_name, parameters, settings.seed,
        invocation.threads, invocation.threads == 1 ? "" : "s", dir.root(),
        invocation.resume ? fmt::format(" · resuming after {} completed phase{}", state.done.size(),
                                        state.done.size() == 1 ? "" : "s")
                          : ""));

    // ---- data: samples at the top temperature ----------------------------------------------
    if (!state.is_done("data")) {
        const auto t0 = std::chrono::steady_clock::now();
        const DataPhaseResult data =
            run_data_phase(energy, o.data, t_top, settings.seed, settings.device, observer);
        const std::string sub = rung_dir(ladder, 0);
        write_sample_set(dir.path(sub), data.x, data.energy);
        write_molecule_views(dir.path(sub), energy, data.x);
        state.add_evaluations("data", data.energy_evaluations);
        const int64_t before = energy.evaluations();
        buffers.clear();
        buffers.push_back(make_buffer(energy, data.x, t_top, 1.0, o.data.max_rows, data.provenance,
                                      tensor_options, dir.path(sub + "/samples.npy")));
        state.add_evaluations("buffer", energy.evaluations() - before);
        save(0);
        state.done.insert("data");
        state.add_seconds("data", seconds_since(t0));
        state.save(dir);
        observer.message(
            fmt::format("data: {} {} samples at T = {:g} ({} target-energy "
                        "evaluations)",
                        data.x.size(0), data.sampler, t_top, data.energy_evaluations));
    }

    // ---- the ladder ------------------------------------------------------------------------
    TrainingLog log(dir.path("train/losses.csv"), trainer.steps());
    for (std::size_t i = 0; i + 1 < ladder.size(); ++i) {
        const double t_from = ladder[i];
        const double t_to = ladder[i + 1];
        const auto stage = static_cast<int64_t>(i);
        const std::string train_phase = fmt::format("train{}", i);
        if (!state.is_done(train_phase)) {
            const auto t0 = std::chrono::steady_clock::now();
            TrainingLoopOptions loop;
            loop.command = "run";
            loop.stage = stage;
            loop.until_step = o.training.step_at_end_of_stage(stage);
            loop.log_every = o.training.log_every;
            loop.checkpoint_every = o.training.checkpoint_every;
            loop.phase = fmt::format("train T={:g}", t_from);
            run_training_loop(
                trainer, buffers, gen, loop, log, [&] { save(stage); }, observer);
            // Kept per stage, so any rung can be re-sampled later (`pita anneal
            // anneal.checkpoint=RUN/train/stage<i>.pt`), e.g. at γ = 1 as a model check.
            copy_file_atomically(checkpoint_path, dir.path(fmt::format("train/stage{}.pt", i)));
            state.done.insert(train_phase);
            state.add_seconds("train", seconds_since(t0));
            state.save(dir);
        }
        const std::string check_phase = fmt::format("regenerate{}", i);
        if (o.regeneration_samples > 0 && !state.is_done(check_phase)) {
            const auto t0 = std::chrono::steady_clock::now();
            // Stage i's networks as saved at its end, not the trainer's: a resume may enable the
            // check (metrics.* may change) after later stages have trained on.
            const TrainedModels stage_models =
                load_trained_models(dir.path(fmt::format("train/stage{}.pt", i)), settings.device,
                                    settings.dtype, "run");
            at::Generator check_gen = make_generator(
                stream_seed(settings.seed, RandomStream::ModelCheck, stage), settings.device);
            EvaluationOptions evaluation = o.evaluation;
            // MD data are time series of their replicas (record-major): the run's own P(φ > 0)
            // error and TICA need the layout.
            if (i == 0 && o.data.sampler == DataSampler::Md)
                evaluation.tica_chains = o.data.md.n_replicas;
            const std::string own = rung_dir(ladder, i);
            regeneration_check(energy, *stage_models.score, *stage_models.energy_model,
                               plan.schedule, o.anneal, o.regeneration_samples, t_from,
                               t_top / t_from, dir.path(own),
                               dir.path(own + "/" + kRegenerationDir), o.chirality, evaluation,
                               tensor_options, check_gen, observer);
            state.done.insert(check_phase);
            state.add_seconds("regeneration", seconds_since(t0));
            state.save(dir);
        }

        const std::string anneal_phase = fmt::format("anneal{}", i);
        if (state.is_done(anneal_phase)) continue;
        const auto t0 = std::chrono::steady_clock::now();
        trainer.copy_ema_to(score_ema, energy_ema);  // sampling uses the EMA weights (§4.6)
        score_ema.backbone().train(false);
        energy_ema.backbone().train(false);
        at::Generator anneal_gen = make_generator(
            stream_seed(settings.seed, RandomStream::Annealing, stage), settings.device);
        const std::string phase = fmt::format("anneal T={:g}→{:g}", t_from, t_to);
        const double beta_from = t_top / t_from;
        AnnealStageResult r = anneal_stage(
            energy, score_ema, energy_ema, plan.schedule, o.anneal, t_from, beta_from, t_to,
            tensor_options, anneal_gen, [&](int64_t step, int64_t total, const AnnealStepStats& s) {
                observer.progress(phase, step, total,
                                  fmt::format("t {:.3f} ESS {:.0f}", s.t, s.ess));
            });
        observer.phase_finished(
            phase, fmt::format("min ESS {:.0f}", r.summary["sde"]["min_ess"].get<double>()));
        check_and_fix_chirality(r, chiral_centres_of(energy), o.chirality);
        const std::string sub = rung_dir(ladder, i + 1);
        write_anneal_samples(dir.path(sub), r);
        write_molecule_views(dir.path(sub), energy, r.x);
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
            at::Tensor keep = at::isfinite(e) & (e / t_to).abs().le(o.energy_mask_threshold);
            if (keep.sum().item<int64_t>() == 0) keep = at::isfinite(e);
            PITA_CHECK_AS(NumericalError, keep.sum().item<int64_t>() > 0,
                          "[run] annealing to T = {:g} produced no sample with a finite energy. "
                          "Train longer (train.steps) or use more annealing steps.",
                          t_to);
            // A kill between this checkpoint and state.json leaves the buffer saved but the phase
            // open: the re-run replaces it instead of adding a second copy.
            if (buffers.size() > i + 1)
                buffers.erase(buffers.begin() + static_cast<std::ptrdiff_t>(i + 1), buffers.end());
            const int64_t before = energy.evaluations();
            buffers.push_back(make_buffer(
                energy, r.x.index({keep.to(r.x.device())}), t_to, t_top / t_to, o.data.max_rows,
                fmt::format("annealed:T={:g} from models trained at T={:g} (stage {})", t_to,
                            t_from, i),
                tensor_options, dir.path(sub + "/samples.npy")));
            state.add_evaluations("buffer", energy.evaluations() - before);
            save(stage);
        }
        state.done.insert(anneal_phase);
        state.add_seconds("anneal", seconds_since(t0));
        state.save(dir);
        const nlohmann::json& chirality = r.summary.value("chirality", nlohmann::json::object());
        observer.message(fmt::format(
            "T = {:g}: {} samples{}, <E> = {:.3f}, min SMC ESS {:.0f}{}", t_to, r.x.size(0),
            chirality.contains("dropped_not_l")
                ? fmt::format(" ({} not L dropped)", chirality["dropped_not_l"].get<int64_t>())
                : std::string(),
            r.summary["mean_energy"].get<double>(), r.summary["sde"]["min_ess"].get<double>(),
            r.summary.contains("correction")
                ? fmt::format(", end correction ESS {:.0f}",
                              r.summary["correction"]["ess"].get<double>())
                : std::string()));
        if (const std::string w = genealogy_warning(r.summary); !w.empty())
            observer.warning(fmt::format("T = {:g}: {}", t_to, w));
    }

    // ---- metrics ---------------------------------------------------------------------------
    const auto t_metrics = std::chrono::steady_clock::now();
    nlohmann::json metrics;
    const int64_t before_metrics = energy.evaluations();
    for (std::size_t i = 0; i < ladder.size(); ++i) {
        const std::string sub = rung_dir(ladder, i);
        const auto reference = reference_directory(o.reference_root, ladder[i]);
        observer.progress("metrics", static_cast<int64_t>(i), static_cast<int64_t>(ladder.size()),
                          fmt::format("T = {:g}", ladder[i]));
        const SampleSet set = read_sample_set(dir.path(sub));
        EvaluationOptions evaluation = o.evaluation;
        // MD data are time series of their replicas (record-major); annealed rungs are
        // independent draws.
        evaluation.sample_chains =
            i == 0 && o.data.sampler == DataSampler::Md ? o.data.md.n_replicas : 0;
        evaluation.sample_lineages = set.lineages;
        nlohmann::json m =
            evaluate_samples(energy, set.samples, set.energies, ladder[i], reference, evaluation);
        m["temperature"] = ladder[i];
        m["samples_file"] = sub + "/samples.npy";
        m["source"] = i == 0 ? data_source(o.data) : "annealed";
        if (!reference && !o.reference_root.empty())
            m["reference_note"] = fmt::format(
                "no reference sample set {}/{}: reference metrics "
                "skipped",
                o.reference_root, temperature_dir(ladder[i]));
        // The SMC's health on this rung (anneal.json): how many particles really carried it.
        if (i > 0 && std::filesystem::exists(dir.path(sub + "/anneal.json"))) {
            const nlohmann::json a = read_json(dir.path(sub + "/anneal.json"));
            nlohmann::json smc = {{"min_ess", a["sde"]["min_ess"]},
                                  {"min_unique_ancestors", a["sde"]["min_unique_ancestors"]},
                                  {"lineages", a["sde"].value("lineages", nlohmann::json())},
                                  {"resampling_events", a["sde"]["resampling_events"]}};
            if (a.contains("correction")) {
                smc["correction_ess"] = a["correction"]["ess"];
                smc["correction_unique_ancestors"] = a["correction"]["unique_ancestors"];
                smc["correction_lineages"] = a["correction"].value("lineages", nlohmann::json());
            }
            // anneal.l_form_only: how many annealed samples were not L and left out, and the
            // lineages of those kept.
            if (a.contains("chirality") && a["chirality"].contains("dropped_not_l")) {
                smc["dropped_not_l"] = a["chirality"]["dropped_not_l"];
                smc["lineages_after_drop"] =
                    a["chirality"].value("lineages_after_drop", nlohmann::json());
            }
            m["smc"] = smc;
        }
        // The γ = 1 regeneration check of the networks trained at this temperature.
        const std::string check = sub + "/" + kRegenerationDir;
        if (std::filesystem::exists(dir.path(check + "/regeneration.json"))) {
            nlohmann::json c = read_json(dir.path(check + "/regeneration.json"));
            c["samples_file"] = check + "/samples.npy";
            c["compared_with"] = sub;
            m["regeneration"] = c;
        }
        // What the networks delivered, beside what the relaxation made of it.
        const std::string raw = sub + "/" + kBeforeRelaxationDir;
        if (has_sample_set(dir.path(raw))) {
            const SampleSet networks = read_sample_set(dir.path(raw));
            EvaluationOptions raw_evaluation = o.evaluation;
            raw_evaluation.sample_lineages = networks.lineages;
            nlohmann::json b = evaluate_samples(energy, networks.samples, networks.energies,
                                                ladder[i], reference, raw_evaluation);
            b["temperature"] = ladder[i];
            b["samples_file"] = raw + "/samples.npy";
            b["source"] = "networks";
            m["before_relaxation"] = b;
        }
        metrics["temperatures"].push_back(m);
    }
    observer.phase_finished("metrics", "");
    state.add_seconds("metrics", seconds_since(t_metrics));
    metrics["energy_evaluations"] = state.evaluations;
    metrics["energy_evaluations"]["total"] = state.total_evaluations();
    metrics["metric_energy_evaluations"] = energy.evaluations() - before_metrics;
    metrics["seconds"] = state.seconds;
    for (const auto& b : buffers)
        metrics["buffers"].push_back({{"temperature", b.temperature()},
                                      {"beta", b.beta()},
                                      {"rows", b.size()},
                                      {"provenance", b.provenance()}});
    metrics["training_steps"] = trainer.steps();
    write_json(dir.path("metrics.json"), metrics);
    state.save(dir);

    // The report is a view of the files just written: failing to write it loses nothing of the
    // run (`pita report RUN_DIR` writes it again), so it is a warning, not an error of the run.
    try {
        ReportOptions report;
        report.reference_root = o.reference_root;
        const ReportResult r = write_run_report(dir.root(), report, &energy);
        for (const std::string& note : r.notes) observer.warning("report: " + note);
        observer.message(
            fmt::format("report: {} ({:.0f} KB)", r.path, static_cast<double>(r.bytes) / 1024.0));
    } catch (const std::exception& e) {
        observer.warning(fmt::format(
            "the report was not written: {}. The run's outputs are complete; `pita report {}` "
            "writes it.",
            e.what(), dir.root()));
    }
    return metrics;
}

}  // namespace pita
