// `pita mcmc CONFIG [key=value ...]`: samples of a target at one temperature (batched MALA) or a
// ladder (parallel tempering), with the statistics a user needs to trust them.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "pita/config/config.h"
#include "pita/core/device.h"
#include "pita/core/progress.h"
#include "pita/core/rng.h"
#include "pita/io/npy.h"
#include "pita/io/run_directory.h"
#include "pita/io/sample_set.h"
#include "pita/mcmc/parallel_tempering.h"
#include "pita/pipeline/memory_plan.h"
#include "pita/targets/energy_factory.h"
#include "run_settings.h"

namespace pita::cli {

namespace {

// NaN (an error bar that cannot be estimated) is written as JSON null, with the note saying why.
nlohmann::json estimate_json(const MeanEstimate& m) {
    nlohmann::json j = {{"mean", m.mean},
                        {"standard_error", m.standard_error},
                        {"stddev", m.stddev},
                        {"tau", m.tau}};
    if (!m.note.empty()) j["note"] = m.note;
    return j;
}

/// `value` with `precision` decimals, or "n/a" where it could not be estimated (NaN).
std::string number_or_na(double value, int precision) {
    return std::isnan(value) ? std::string("n/a") : fmt::format("{:.{}f}", value, precision);
}

}  // namespace

int run_mcmc(const CommonArgs& args) {
    Config cfg = Config::load_file(args.config, args.overrides);
    const ConfigNode root = cfg.root();
    const RunSettings settings =
        read_run_settings(root, std::filesystem::path(args.config).stem().string() + "-mcmc");
    std::unique_ptr<Energy> energy = make_energy(root.child("energy"));

    const McmcOptions mcmc = read_mcmc_options(root.child("mcmc"));
    const MalaOptions& mala = mcmc.mala;
    const ParallelTemperingOptions& pt = mcmc.chains;
    const std::string save_dtype =
        root.child("output").get_choice("samples_dtype", "float32", {"float32", "float64"});
    cfg.finish();  // every config problem is reported here, before any work
    MemoryEstimate memory;
    const auto n_temps = static_cast<int64_t>(pt.temperatures.size());
    memory.add("mcmc.n_chains",
               sampler_state_bytes(pt.chains_per_temperature * n_temps, energy->n_particles(),
                                   energy->spatial_dim()),
               "the chains' states");
    memory.add("mcmc.production_steps",
               2.0 * stored_rows_bytes(
                         (pt.production_steps / pt.thin) * pt.chains_per_temperature * n_temps,
                         energy->n_particles(), energy->spatial_dim()),
               "kept samples (production_steps / thin per chain)");
    require_memory(memory, "mcmc");
    if (args.check_only) {
        return finish_check(
            args.print_config, cfg,
            fmt::format(
                "config OK: {} · {} chains × {} temperature{} · {} + {} steps · memory {}\n",
                energy->name(), pt.chains_per_temperature, n_temps, n_temps == 1 ? "" : "s",
                pt.warmup_steps, pt.production_steps, memory.summary()));
    }

    const int threads = set_threads(settings.threads);
    ParallelTempering sampler(*energy, mala, pt);
    RunDirectory dir = RunDirectory::create(settings.output_dir);
    nlohmann::json record = make_run_record(cfg.resolved(), settings.seed, threads,
                                            settings.device.str(), args.command_line);
    record["command"] = "mcmc";
    record["energy"] = energy->config();
    dir.write_run_json(record);
    std::cerr << fmt::format(
        "[pita mcmc] {} · {} chains × {} temperature{} · seed {} · {} "
        "thread{} · output {}\n",
        energy->name(), pt.chains_per_temperature, pt.temperatures.size(),
        pt.temperatures.size() == 1 ? "" : "s", settings.seed, threads, threads == 1 ? "" : "s",
        dir.root());

    at::Generator gen = make_generator(settings.seed, settings.device);
    at::Generator init_gen =
        make_generator(stream_seed(settings.seed, RandomStream::DataInitialisation));
    const at::Tensor x0 = energy->initial_configurations(sampler.n_chains(), init_gen)
                              .to(settings.device, settings.dtype);
    PhasedProgress bars;
    const McmcResult result = sampler.run(
        x0, gen, [&](const std::string& p, int64_t step, int64_t total, const std::string& extra) {
            bars.update(p, step, total, extra);
        });
    bars.finish();

    nlohmann::json stats;
    stats["energy_evaluations"] = result.energy_evaluations;
    stats["seconds"] = result.seconds;
    stats["swap_acceptance"] = result.swap_acceptance;
    stats["degrees_of_freedom"] = energy->degrees_of_freedom();
    stats["n_chains"] = pt.chains_per_temperature;
    stats["thin"] = pt.thin;
    const auto out_dtype = save_dtype == "float32" ? at::kFloat : at::kDouble;
    fmt::print("\n{:>8} {:>9} {:>10} {:>8} {:>16} {:>18} {:>9} {:>8}\n", "T", "samples", "step",
               "accept", "<E> ± se", "T_conf ± se", "tau(E)", "ESS");
    std::vector<std::string> notes;  // printed under the table
    for (const TemperatureSamples& t : result.per_temperature) {
        const std::string sub = temperature_dir(t.temperature);
        write_sample_set(dir.path(sub), t.x, t.energy, out_dtype);
        nlohmann::json tau = {{"tau_kept_samples", t.energy_tau.tau},
                              {"tau_steps", t.energy_tau.tau * static_cast<double>(pt.thin)},
                              {"window", t.energy_tau.window},
                              {"converged", t.energy_tau.converged},
                              {"effective_samples", t.energy_tau.effective_samples}};
        if (!t.energy_tau.note.empty()) tau["reason"] = t.energy_tau.note;
        stats["temperatures"].push_back(
            {{"temperature", t.temperature},
             {"samples", t.x.size(0)},
             {"samples_file", sub + "/samples.npy"},
             {"energies_file", sub + "/energies.npy"},
             {"acceptance", t.acceptance},
             {"step_size", t.step_size},
             {"energy", estimate_json(t.mean_energy)},
             {"configurational_temperature", estimate_json(t.configurational_temperature)},
             {"energy_autocorrelation", tau}});
        fmt::print(
            "{:>8g} {:>9} {:>10.3e} {:>8.3f} {:>9.3f} ± {:<6} {:>10.4f} ± {:<6} {:>9} {:>8}\n",
            t.temperature, t.x.size(0), t.step_size, t.acceptance, t.mean_energy.mean,
            number_or_na(t.mean_energy.standard_error, 3), t.configurational_temperature.mean,
            number_or_na(t.configurational_temperature.standard_error, 4),
            number_or_na(t.energy_tau.tau, 2), number_or_na(t.energy_tau.effective_samples, 0));
        for (const std::string& note :
             {t.energy_tau.note, t.mean_energy.note, t.configurational_temperature.note}) {
            const std::string line = fmt::format("T = {:g}: {}", t.temperature, note);
            if (!note.empty() && std::find(notes.begin(), notes.end(), line) == notes.end())
                notes.push_back(line);
        }
    }
    for (const std::string& line : notes) fmt::print("note: {}\n", line);
    write_json(dir.path("mcmc.json"), stats);
    fmt::print("\n{} target-energy evaluations in {:.1f} s; outputs in {}/\n",
               result.energy_evaluations, result.seconds, dir.root());
    return 0;
}

}  // namespace pita::cli
