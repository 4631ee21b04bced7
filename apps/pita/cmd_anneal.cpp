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
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "pita/anneal/annealer.h"
#include "pita/anneal/end_of_trajectory.h"
#include "pita/config/config.h"
#include "pita/core/device.h"
#include "pita/core/error.h"
#include "pita/core/progress.h"
#include "pita/core/rng.h"
#include "pita/energy/energy_factory.h"
#include "pita/io/atomic_file.h"
#include "pita/io/npy.h"
#include "pita/io/run_directory.h"
#include "pita/mcmc/mean_free.h"
#include "pita/model/backbone_factory.h"
#include "pita/train/checkpoint.h"
#include "pita/train/trainer_config.h"
#include "run_settings.h"

namespace pita::cli {

namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void write_diagnostics(const std::string& path, const std::vector<AnnealStepStats>& stats) {
    write_file_atomically(path, [&](std::ostream& os) {
        os << "step,t,ess,log_weight_variance,resampled,unique_ancestors\n";
        for (const AnnealStepStats& s : stats)
            os << fmt::format("{},{:.6f},{:.2f},{:.6g},{},{}\n", s.step, s.t, s.ess,
                              s.log_weight_variance, s.resampled ? 1 : 0, s.unique_ancestors);
    });
}

}  // namespace

int run_anneal(const CommonArgs& args) {
    Config cfg = Config::load_file(args.config, args.overrides);
    const ConfigNode root = cfg.root();
    const RunSettings settings = read_run_settings(
        root, std::filesystem::path(args.config).stem().string() + "-anneal", "float32");
    const ConfigNode a = root.child("anneal");
    const std::string checkpoint = a.get_string("checkpoint", "");
    if (checkpoint.empty())
        a.error("checkpoint", "missing: expected the train/checkpoint.pt of a `pita train` run.");
    const double t_target = a.get_double("temperature", 0.0);
    if (!(t_target > 0))
        a.error("temperature", fmt::format("missing or out of range: got {}; expected the "
                                           "temperature to anneal to (> 0).",
                                           t_target));
    AnnealOptions o;
    o.n_samples = a.get_int("n_samples", 1000);
    o.steps = a.get_int("steps", 1000);
    // Balanced (λ = 1) by default: on the exact oracles it is unbiased where the reference's λ = γ
    // degenerates (pita/anneal/annealer.h, tests/validation/annealing_gmm_test.cpp).
    const std::string drift = a.get_choice("drift", "balanced", {"balanced", "reference"});
    o.scheme = parse_resampling_scheme(
        a.get_choice("resampling", "systematic", {"systematic", "multinomial", "residual"}));
    o.resample_interval = a.get_int("resample_interval", 1);
    o.ess_threshold = a.get_double("ess_threshold", 0.0);
    o.resample_start = a.get_int("resample_start", 0);
    o.resample_end = a.get_int("resample_end", -1);
    o.clamp_quantile = a.get_double("clamp_quantile", 0.0);
    o.chunk = a.get_int("chunk", 512);
    LearnedModelOptions lm;
    lm.divergence = a.get_choice("divergence", "exact", {"exact", "hutchinson"}) == "exact"
                        ? DivergenceEstimator::Exact
                        : DivergenceEstimator::Hutchinson;
    lm.hutchinson_probes = a.get_int("hutchinson_probes", 1);
    const bool correct = a.get_bool("correct_to_target", true);
    const double correction_clamp = a.get_double("correction_clamp_quantile", 0.0);
    const int64_t relax_steps = a.get_int("relax_steps", 0);
    const double relax_step_size = a.get_double("relax_step_size", 1e-4);
    cfg.finish();

    // Rebuild the trained run's target, schedule and networks from the checkpoint's record.
    const nlohmann::json record = read_checkpoint_record(checkpoint);
    PITA_CHECK(record.contains("config"),
               "[anneal] '{}' has no training config in its record; was it written by `pita "
               "train`?",
               checkpoint);
    const Config trained = Config::from_string(record["config"].dump());
    const ConfigNode troot = trained.root();
    std::unique_ptr<Energy> energy = make_energy(troot.child("energy"));
    const NoiseSchedule schedule = make_noise_schedule(troot.child("schedule"));
    ScoreModel score(
        make_backbone(troot.child("model"), energy->n_particles(), energy->spatial_dim(), 0));
    EnergyModel energy_model(score.backbone().clone());
    score.backbone().to(settings.device, settings.dtype);
    energy_model.backbone().to(settings.device, settings.dtype);
    Trainer trainer(score, energy_model, schedule,
                    read_trainer_options(troot.child("train"), schedule),
                    energy->translation_invariant());
    std::vector<ReplayBuffer> buffers;
    at::Generator unused = make_generator(0, settings.device);
    load_checkpoint(checkpoint, trainer, buffers, unused);
    trainer.copy_ema_to(score, energy_model);  // sampling uses the EMA weights (spec §4.6)
    score.backbone().train(false);
    energy_model.backbone().train(false);
    PITA_CHECK(!buffers.empty(), "[anneal] '{}' holds no replay buffer.", checkpoint);
    const ReplayBuffer& newest = buffers.back();
    const double t_from = newest.temperature();
    PITA_CHECK(t_target < t_from,
               "[anneal] temperature: got {}; the models were trained at T = {}. Annealing "
               "lowers the temperature: choose T' < {}.",
               t_target, t_from, t_from);
    o.gamma = t_from / t_target;
    o.score_weight = drift == "balanced" ? 1.0 : o.gamma;  // λ (pita/anneal/annealer.h)
    o.n_particles = energy->n_particles();
    o.spatial_dim = energy->spatial_dim();
    o.particle_system = energy->translation_invariant();
    lm.beta = newest.beta();
    LearnedAnnealingModel model(score, energy_model, schedule, lm);

    const int threads = set_threads(settings.threads);
    RunDirectory dir = RunDirectory::create(settings.output_dir);
    nlohmann::json run = make_run_record(cfg.resolved(), settings.seed, threads,
                                         settings.device.str(), args.command_line);
    run["command"] = "anneal";
    run["trained"] = {{"checkpoint", checkpoint},
                      {"step", record.value("step", 0)},
                      {"temperature", t_from},
                      {"beta", newest.beta()},
                      {"model", score.backbone().config()}};
    dir.write_run_json(run);
    std::cerr << fmt::format(
        "[pita anneal] {} · T {:g} → {:g} (γ = {:.4f}) · {} samples × {} steps · {} drift · {} "
        "divergence · seed {} · {} thread{} · output {}\n",
        energy->name(), t_from, t_target, o.gamma, o.n_samples, o.steps, drift,
        lm.divergence == DivergenceEstimator::Exact ? "exact" : "Hutchinson", settings.seed,
        threads, threads == 1 ? "" : "s", dir.root());

    at::Generator gen = make_generator(settings.seed, settings.device);
    nlohmann::json summary;
    const auto t0 = std::chrono::steady_clock::now();
    Progress bar("anneal", o.steps);
    const AnnealResult r =
        anneal(model, schedule, o, at::TensorOptions(settings.dtype).device(settings.device), gen,
               [&](int64_t step, int64_t, const AnnealStepStats& s) {
                   bar.update(step, fmt::format("t {:.3f} ESS {:.0f}", s.t, s.ess));
               });
    bar.finish(fmt::format("{} resamplings", r.resampling_events));
    summary["seconds"]["sde"] = seconds_since(t0);
    std::filesystem::create_directories(dir.path("anneal"));
    write_diagnostics(dir.path("anneal/diagnostics.csv"), r.stats);
    double min_ess = static_cast<double>(o.n_samples);
    int64_t min_unique = o.n_samples;
    for (const auto& s : r.stats) {
        min_ess = std::min(min_ess, s.ess);
        min_unique = std::min(min_unique, s.unique_ancestors);
    }
    summary["sde"] = {{"resampling_events", r.resampling_events},
                      {"min_ess", min_ess},
                      {"min_unique_ancestors", min_unique},
                      {"final_ess", r.stats.empty() ? 0.0 : r.stats.back().ess}};

    at::Tensor x = r.x;
    at::Tensor e;
    nlohmann::json evaluations = {{"correction", 0}, {"relaxation", 0}};
    if (correct) {
        const auto t1 = std::chrono::steady_clock::now();
        const CorrectionResult c = correct_to_target(*energy, t_target, model, o.gamma, x,
                                                     r.log_weight, o.scheme, correction_clamp, gen);
        x = c.x;
        e = c.energy;
        evaluations["correction"] = c.energy_evaluations;
        summary["correction"] = {
            {"ess", c.ess}, {"unique_ancestors", c.unique_ancestors}, {"non_finite", c.non_finite}};
        summary["seconds"]["correction"] = seconds_since(t1);
    }
    if (relax_steps > 0) {
        const auto t1 = std::chrono::steady_clock::now();
        const RelaxationResult rr =
            relax_on_target(*energy, t_target, x, relax_steps, relax_step_size, gen);
        x = rr.x;
        e = rr.energy;
        evaluations["relaxation"] = rr.energy_evaluations;
        summary["relaxation"] = {
            {"steps", relax_steps}, {"acceptance", rr.acceptance}, {"step_size", rr.step_size}};
        summary["seconds"]["relaxation"] = seconds_since(t1);
    }
    if (!e.defined()) e = energy->energy(x).to(at::kDouble);  // for the outputs; not a phase
    if (o.particle_system) x = remove_mean(x);
    const std::string sub = fmt::format("T{:g}", t_target);
    std::filesystem::create_directories(dir.path(sub));
    write_npy(dir.path(sub + "/samples.npy"), x.to(at::kFloat).cpu());
    write_npy(dir.path(sub + "/energies.npy"), e.cpu());
    const at::Tensor finite = e.masked_select(at::isfinite(e));
    summary["gamma"] = o.gamma;
    summary["drift"] = drift;
    summary["score_weight"] = o.score_weight;
    summary["from_temperature"] = t_from;
    summary["temperature"] = t_target;
    summary["samples"] = x.size(0);
    summary["non_finite_energies"] = e.numel() - finite.numel();
    summary["mean_energy"] = finite.numel() > 0 ? finite.mean().item<double>() : NAN;
    summary["energy_evaluations"] = evaluations;
    write_json(dir.path("anneal.json"), summary);
    fmt::print(
        "annealed {} samples to T = {:g}: <E> = {:.3f}; {} target-energy evaluations "
        "(correction {}, relaxation {}); outputs in {}/\n",
        x.size(0), t_target, summary["mean_energy"].get<double>(),
        evaluations["correction"].get<int64_t>() + evaluations["relaxation"].get<int64_t>(),
        evaluations["correction"].get<int64_t>(), evaluations["relaxation"].get<int64_t>(),
        dir.root());
    return 0;
}

}  // namespace pita::cli
