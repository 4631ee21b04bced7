#include "pita/pipeline/regeneration_check.h"

#include <chrono>
#include <filesystem>
#include <vector>

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "pita/core/run_observer.h"
#include "pita/energy/energy.h"
#include "pita/io/run_directory.h"
#include "pita/io/sample_set.h"
#include "pita/smc/resampling.h"

namespace pita {

nlohmann::json regeneration_check(const Energy& target, const ScoreModel& score,
                                  const EnergyModel& energy_model, const NoiseSchedule& schedule,
                                  AnnealStageOptions anneal, int64_t n_samples, double temperature,
                                  double beta, const std::string& own_samples_dir,
                                  const std::string& out_dir, const ChiralityHandling& chirality,
                                  EvaluationOptions evaluation, at::TensorOptions tensor_options,
                                  at::Generator& gen, RunObserver& observer) {
    const auto t0 = std::chrono::steady_clock::now();
    const int64_t evaluations_before = target.evaluations();
    // What the networks deliver, and nothing else: the end correction and the relaxation use the
    // target, which would repair (and hide) what the check is meant to show.
    anneal.sde.n_samples = n_samples;
    anneal.correct_to_target = false;
    anneal.relax_steps = 0;
    anneal.custom_relaxation = {};
    const std::string phase = fmt::format("regenerate T={:g} (γ = 1)", temperature);
    AnnealStageResult r = anneal_stage(
        target, score, energy_model, schedule, anneal, temperature, beta, temperature,
        tensor_options, gen, [&](int64_t step, int64_t total, const AnnealStepStats& s) {
            observer.progress(phase, step, total, fmt::format("t {:.3f} ESS {:.0f}", s.t, s.ess));
        });
    check_and_fix_chirality(r, chiral_centres_of(target), chirality);
    std::filesystem::create_directories(out_dir);
    write_sample_set(out_dir, r.x, r.energy, c10::kFloat, r.lineages);
    evaluation.sample_lineages = r.lineages;
    nlohmann::json check =
        evaluate_samples(target, r.x, r.energy, temperature,
                         std::optional<std::string>(own_samples_dir), evaluation);
    check["source"] = "regenerated";
    // The samples' energies and the metrics' forces: reported, never counted as the sampler's.
    check["energy_evaluations"] = target.evaluations() - evaluations_before;
    check["gamma"] = 1.0;
    check["temperature"] = temperature;
    check["compared_with"] = own_samples_dir;
    check["lineages"] = count_unique(r.lineages);
    check["min_ess"] = r.summary["sde"]["min_ess"];
    if (r.summary.contains("chirality")) check["chirality_handling"] = r.summary["chirality"];
    check["seconds"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    write_json(out_dir + "/regeneration.json", check);
    observer.phase_finished(phase, describe_regeneration(check));
    return check;
}

std::string describe_regeneration(const nlohmann::json& check) {
    std::vector<std::string> parts;
    auto number = [&](const char* key, const char* label) {
        if (check.contains(key) && check[key].is_number())
            parts.push_back(fmt::format("{} {:.3g}", label, check[key].get<double>()));
    };
    number("energy_w1", "energy-W1");
    number("torsion_torus_w2", "T-W2");
    number("distance_w2", "distance-W2");
    if (check.contains("phi_positive"))
        for (const auto& p : check["phi_positive"])
            if (p.contains("reference_fraction"))
                parts.push_back(fmt::format(
                    "P({} > 0) {:.3f} (own samples {:.3f})", p["torsion"].get<std::string>(),
                    p["fraction"].get<double>(), p["reference_fraction"].get<double>()));
    if (check.contains("chirality_handling")) {
        // What the networks drew, before the run's mirror fix or drop.
        const nlohmann::json& c = check["chirality_handling"]["before_fix"];
        const int64_t l = c["l_form"].get<int64_t>();
        const int64_t all = l + c["mirrored"].get<int64_t>() + c["mixed"].get<int64_t>();
        parts.push_back(fmt::format("{} of {} drawn not L", all - l, all));
    }
    parts.push_back(fmt::format("{} lineages", check.value("lineages", int64_t{0})));
    return fmt::format("against the run's own samples: {}", fmt::join(parts, ", "));
}

}  // namespace pita
