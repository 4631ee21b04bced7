#include "pita/anneal/anneal_stage.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include <ATen/ATen.h>
#include <fmt/format.h>

#include "pita/anneal/end_of_trajectory.h"
#include "pita/config/config.h"
#include "pita/core/error.h"
#include "pita/energy/energy.h"
#include "pita/io/atomic_file.h"
#include "pita/io/sample_set.h"
#include "pita/mcmc/mean_free.h"
#include "pita/molecule/molecular_graph.h"

namespace pita {
namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

AnnealStageOptions read_anneal_stage_options(const ConfigNode& a) {
    AnnealStageOptions o;
    o.sde.n_samples = a.get_int("n_samples", 1000, Bounds::at_least(1));
    o.sde.steps = a.get_int("steps", 1000, Bounds::at_least(1));
    // Balanced (λ = 1) by default: on the exact oracles it is unbiased where the reference's λ = γ
    // degenerates (pita/anneal/annealer.h, tests/validation/annealing_gmm_test.cpp).
    o.reference_drift = a.get_choice("drift", "balanced", {"balanced", "reference"}) == "reference";
    o.sde.scheme = parse_resampling_scheme(
        a.get_choice("resampling", "systematic", {"systematic", "multinomial", "residual"}));
    o.sde.resample_interval = a.get_int("resample_interval", 1, Bounds::at_least(0));
    o.sde.ess_threshold = a.get_double("ess_threshold", 0.0, Bounds::between(0, 1));
    o.sde.resample_start = a.get_int("resample_start", 0, Bounds::at_least(0));
    o.sde.resample_end = a.get_int("resample_end", -1, Bounds::at_least(-1));  // -1: the last step
    o.sde.resample_end_sigma = a.get_double("resample_end_sigma", 0.0, Bounds::at_least(0));
    o.sde.clamp_quantile = a.get_double("clamp_quantile", 0.0, Bounds::between(0, 1));
    // Where the weights' (γ − 1) part comes from (pita/anneal/annealer.h, TemperingWeight).
    const std::string tempering =
        a.get_choice("tempering_weight", "energy", {"energy", "score", "score_only"});
    o.sde.tempering = tempering == "score"        ? TemperingWeight::Score
                      : tempering == "score_only" ? TemperingWeight::ScoreOnly
                                                  : TemperingWeight::Energy;
    if (o.sde.tempering != TemperingWeight::Energy && o.reference_drift)
        a.error("tempering_weight",
                tempering +
                    " needs the balanced drift (λ = 1); the reference drift weights the score "
                    "by γ. Set anneal.drift: balanced, or tempering_weight: energy.");
    o.sde.chunk = a.get_int("chunk", o.sde.chunk, Bounds::at_least(1));
    o.model.divergence = a.get_choice("divergence", "exact", {"exact", "hutchinson"}) == "exact"
                             ? DivergenceEstimator::Exact
                             : DivergenceEstimator::Hutchinson;
    o.model.hutchinson_probes = a.get_int("hutchinson_probes", 1, Bounds::between(1, 1024));
    o.correct_to_target = a.get_bool("correct_to_target", true);
    // score_only never evaluates the energy network, which the end correction's U(x, 0) needs.
    if (o.correct_to_target && o.sde.tempering == TemperingWeight::ScoreOnly)
        a.error("correct_to_target",
                "the end correction weighs samples by the energy network's U(x, 0), which "
                "tempering_weight: score_only does not use. Set anneal.correct_to_target: false, "
                "or choose tempering_weight: energy or score.");
    o.correction_clamp_quantile =
        a.get_double("correction_clamp_quantile", 0.0, Bounds::between(0, 1));
    o.relax_steps = a.get_int("relax_steps", 0, Bounds::at_least(0));
    o.relax_step_size = a.get_double("relax_step_size", 1e-4, Bounds::above(0));
    o.relax_adaptation =
        a.get_choice("relax_step_adaptation", "per_sample", {"per_sample", "shared"}) == "shared"
            ? RelaxationStepAdaptation::Shared
            : RelaxationStepAdaptation::PerSample;
    const std::string method = a.get_choice("relaxation", "auto", {"auto", "mala", "md"});
    o.relaxation = method == "mala" ? RelaxationMethod::Mala
                   : method == "md" ? RelaxationMethod::Md
                                    : RelaxationMethod::Auto;
    o.relax_md_ps = a.get_double("relax_md_ps", o.relax_md_ps, Bounds::at_least(0).at_most(1e4));
    o.relax_md_step_size =
        a.get_double("relax_md_step_size", o.relax_md_step_size, Bounds::above(0).at_most(0.01));
    o.relax_md_friction = a.get_double("relax_md_friction", o.relax_md_friction, Bounds::above(0));
    o.sigma_end = a.get_double("sigma_min", o.sigma_end, Bounds::at_least(0));
    if (o.sde.resample_end >= 0 && o.sde.resample_end < o.sde.resample_start)
        a.error("resample_end", fmt::format("got {}, before resample_start = {}; expected -1 (the "
                                            "last step) or a step >= resample_start.",
                                            o.sde.resample_end, o.sde.resample_start));
    if (o.sde.resample_start > o.sde.steps)
        a.error("resample_start", fmt::format("got {}, after the last of {} steps; expected a step "
                                              "in [0, steps].",
                                              o.sde.resample_start, o.sde.steps));
    return o;
}

bool reads_energy_network(const AnnealStageOptions& o) {
    return o.sde.tempering != TemperingWeight::ScoreOnly || o.correct_to_target;
}

std::string untrained_energy_network_problem(bool energy_network_trained,
                                             const AnnealStageOptions& o) {
    if (energy_network_trained || !reads_energy_network(o)) return "";
    return fmt::format(
        "no loss trains the energy network (train.losses: energy_score, energy_matching and "
        "energy_consistency are all 0), but this anneal reads it ({}). Set "
        "anneal.tempering_weight: score_only and anneal.correct_to_target: false, or give "
        "train.losses.energy_score a weight > 0.",
        o.sde.tempering != TemperingWeight::ScoreOnly
            ? "tempering_weight: " + tempering_weight_name(o.sde.tempering)
            : std::string("correct_to_target: true"));
}

RelaxationMethod resolve_relaxation(RelaxationMethod method, bool is_molecule) {
    if (method == RelaxationMethod::Auto)
        return is_molecule ? RelaxationMethod::Md : RelaxationMethod::Mala;
    PITA_CHECK(method != RelaxationMethod::Md || is_molecule,
               "[anneal] relaxation: md needs a molecule target (masses and physical units); "
               "use relaxation: mala for this target.");
    return method;
}

void check_anneal_temperatures(double t_from, double t_to) {
    PITA_CHECK(t_to > 0 && t_to <= t_from,
               "[anneal] temperature: got {}; the models were trained at T = {}. Annealing "
               "lowers the temperature: choose 0 < T' ≤ {} (T' = T regenerates samples at the "
               "training temperature, γ = 1: a check of the models).",
               t_to, t_from, t_from);
}

AnnealStageResult anneal_stage(const Energy& target, const ScoreModel& score,
                               const EnergyModel& energy_model, const NoiseSchedule& schedule,
                               AnnealStageOptions o, double t_from, double beta_from, double t_to,
                               at::TensorOptions tensor_options, at::Generator& gen,
                               const AnnealProgress& on_step) {
    check_anneal_temperatures(t_from, t_to);
    RungParameters rung;
    rung.gamma = t_from / t_to;
    rung.score_weight = o.reference_drift ? rung.gamma : 1.0;  // λ (annealer.h)
    rung.n_particles = target.n_particles();
    rung.spatial_dim = target.spatial_dim();
    rung.particle_system = target.translation_invariant();
    AnnealOptions sde(o.sde, rung);
    // Molecules with chirality centres: per step, how many of each network's denoised estimates
    // are not L (diagnostics.csv), to see where along the trajectory mirror images appear.
    if (const MolecularGraph* graph = target.molecular_graph();
        graph != nullptr && !graph->chiral_centres.empty()) {
        sde.probe = [centres = graph->chiral_centres](const at::Tensor& x) {
            return x.size(0) - count_chirality(x, centres).l_form;
        };
    }
    o.model.beta = beta_from;
    o.model.energy_network = o.sde.tempering != TemperingWeight::ScoreOnly;  // it reads no U
    // The SDE's grid: the training schedule, or the same schedule ending at anneal.sigma_min.
    NoiseSchedule grid = schedule;
    if (o.sigma_end > 0) {
        PITA_CHECK(o.sigma_end < schedule.sigma_max(),
                   "[anneal] sigma_min: got {:g}; expected below the schedule's sigma_max = {:g}.",
                   o.sigma_end, schedule.sigma_max());
        grid = schedule.with_sigma_min(o.sigma_end);
    }
    LearnedAnnealingModel model(score, energy_model, grid, o.model);

    AnnealStageResult out;
    nlohmann::json& summary = out.summary;
    if (o.sigma_end > 0) summary["sigma_end"] = o.sigma_end;
    const auto t0 = std::chrono::steady_clock::now();
    const AnnealResult r = anneal(model, grid, sde, tensor_options, gen, on_step);
    summary["seconds"]["sde"] = seconds_since(t0);
    out.stats = r.stats;
    double min_ess = static_cast<double>(o.sde.n_samples);
    int64_t min_unique = o.sde.n_samples;
    for (const auto& s : r.stats) {
        min_ess = std::min(min_ess, s.ess);
        min_unique = std::min(min_unique, s.unique_ancestors);
    }
    summary["sde"] = {{"resampling_events", r.resampling_events},
                      {"weighted_steps", weighting_end_step(sde, grid)},
                      {"min_ess", min_ess},
                      {"min_unique_ancestors", min_unique},
                      {"lineages", r.stats.empty() ? o.sde.n_samples : r.stats.back().lineages},
                      {"final_ess", r.stats.empty() ? 0.0 : r.stats.back().ess}};

    at::Tensor x = r.x;
    at::Tensor e;
    out.lineages = r.origin;
    nlohmann::json evaluations = {{"correction", 0}, {"relaxation", 0}};
    if (o.correct_to_target) {
        const auto t1 = std::chrono::steady_clock::now();
        const CorrectionResult c =
            correct_to_target(target, t_to, model, rung.gamma, x, r.log_weight, o.sde.scheme,
                              o.correction_clamp_quantile, gen);
        x = c.x;
        e = c.energy;
        out.lineages = r.origin.index_select(0, c.ancestors.to(r.origin.device()));
        evaluations["correction"] = c.energy_evaluations;
        summary["correction"] = {{"ess", c.ess},
                                 {"unique_ancestors", c.unique_ancestors},
                                 {"lineages", count_unique(out.lineages)},
                                 {"non_finite", c.non_finite}};
        summary["seconds"]["correction"] = seconds_since(t1);
    }
    if (o.custom_relaxation.relax) {
        out.x_before_relaxation = (rung.particle_system ? remove_mean(x) : x).clone();
        out.energy_before_relaxation = e.defined() ? e : target.energy(x).to(at::kDouble);
        const auto t1 = std::chrono::steady_clock::now();
        const RelaxationResult rr = o.custom_relaxation.relax(x, t_to, gen);
        x = rr.x;
        e = rr.energy;
        evaluations["relaxation"] = rr.energy_evaluations;
        summary["relaxation"] = o.custom_relaxation.summary;
        // MD: the fraction of samples whose dynamics stayed finite (the rest kept their start).
        summary["relaxation"]["acceptance"] = rr.acceptance;
        summary["seconds"]["relaxation"] = seconds_since(t1);
    } else if (o.relax_steps > 0) {
        out.x_before_relaxation = (rung.particle_system ? remove_mean(x) : x).clone();
        out.energy_before_relaxation = e.defined() ? e : target.energy(x).to(at::kDouble);
        const auto t1 = std::chrono::steady_clock::now();
        const RelaxationResult rr = relax_on_target(target, t_to, x, o.relax_steps,
                                                    o.relax_step_size, gen, o.relax_adaptation);
        x = rr.x;
        e = rr.energy;
        evaluations["relaxation"] = rr.energy_evaluations;
        summary["relaxation"] = {
            {"method", "mala"},
            {"steps", o.relax_steps},
            {"acceptance", rr.acceptance},
            {"step_adaptation",
             o.relax_adaptation == RelaxationStepAdaptation::Shared ? "shared" : "per_sample"},
            {"step_size", rr.step_size},
            {"min_step_size", rr.min_step_size},
            {"max_step_size", rr.max_step_size}};
        summary["seconds"]["relaxation"] = seconds_since(t1);
    }
    // Energies for the outputs when neither phase computed them: not a sampling phase, so they
    // are not counted as the sampler's evaluations.
    if (!e.defined()) e = target.energy(x).to(at::kDouble);
    if (rung.particle_system) x = remove_mean(x);
    out.x = x;
    out.energy = e;

    summary["gamma"] = rung.gamma;
    summary["drift"] = o.reference_drift ? "reference" : "balanced";
    summary["score_weight"] = rung.score_weight;
    summary["tempering_weight"] = tempering_weight_name(o.sde.tempering);
    summary["from_temperature"] = t_from;
    summary["temperature"] = t_to;
    summarize_samples(summary, e);
    summary["energy_evaluations"] = evaluations;
    return out;
}

void summarize_samples(nlohmann::json& summary, const at::Tensor& energy) {
    const at::Tensor finite = energy.masked_select(at::isfinite(energy));
    summary["samples"] = energy.numel();
    summary["non_finite_energies"] = energy.numel() - finite.numel();
    summary["mean_energy"] = finite.numel() > 0 ? finite.mean().item<double>() : NAN;
}

void write_anneal_samples(const std::string& dir, const AnnealStageResult& r) {
    write_sample_set(dir, r.x, r.energy, c10::kFloat, r.lineages);
    if (r.x_before_relaxation.defined())
        write_sample_set(dir + "/" + kBeforeRelaxationDir, r.x_before_relaxation,
                         r.energy_before_relaxation, c10::kFloat, r.lineages);
}

std::string genealogy_warning(const nlohmann::json& summary) {
    const int64_t n = summary.value("samples", int64_t{0});
    const bool corrected = summary.contains("correction");
    const nlohmann::json& from = corrected ? summary["correction"] : summary["sde"];
    const int64_t lineages = from.value("lineages", n);
    if (n <= 0 || 10 * lineages >= n) return "";
    return fmt::format(
        "only {} of the {} prior draws have descendants {}: the samples are copies of a few "
        "SDE trajectories (the SMC weights degenerated; per step in anneal/diagnostics.csv, "
        "column lineages). Their metrics describe those few trajectories.",
        lineages, n, corrected ? "after the end correction" : "after the SDE");
}

void write_anneal_diagnostics(const std::string& path, const std::vector<AnnealStepStats>& stats) {
    write_file_atomically(path, [&](std::ostream& os) {
        // The last two columns are empty unless the target has chirality centres (annealer.h).
        os << "step,t,ess,log_weight_variance,resampled,unique_ancestors,lineages,not_l_score,"
              "not_l_energy\n";
        auto maybe = [](double v) { return std::isfinite(v) ? fmt::format("{:.4f}", v) : ""; };
        for (const AnnealStepStats& s : stats)
            os << fmt::format("{},{:.6f},{:.2f},{:.6g},{},{},{},{},{}\n", s.step, s.t, s.ess,
                              s.log_weight_variance, s.resampled ? 1 : 0, s.unique_ancestors,
                              s.lineages, maybe(s.probe_score), maybe(s.probe_energy));
    });
}

}  // namespace pita
