#include "pita/md/md_run.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <vector>

#include <ATen/ATen.h>
#include <fmt/format.h>

#include "pita/core/units.h"
#include "pita/io/npy.h"
#include "pita/io/run_directory.h"
#include "pita/io/sample_set.h"
#include "pita/io/trajectory.h"
#include "pita/md/md_simulation.h"
#include "pita/metrics/sample_metrics.h"
#include "pita/molecule/molecule.h"
#include "pita/molecule/pdb.h"
#include "pita/molecule/torsions.h"

namespace pita {
namespace {

/// Mean and standard error over independent replicas of per-replica time averages.
/// @param per_frame [n_frames, n_replicas]
nlohmann::json mean_and_error(const at::Tensor& per_frame) {
    const at::Tensor per_replica = per_frame.to(at::kDouble).mean(0);
    const int64_t n = per_replica.numel();
    nlohmann::json out = {{"mean", per_replica.mean().item<double>()}};
    out["standard_error"] =
        n > 1 ? nlohmann::json(per_replica.std().item<double>() / std::sqrt(static_cast<double>(n)))
              : nlohmann::json(nullptr);
    return out;
}

std::string plus_minus(const nlohmann::json& m) {
    const auto mean = m["mean"].get<double>();
    return m["standard_error"].is_null()
               ? fmt::format("{:.1f}", mean)
               : fmt::format("{:.1f} ± {:.1f}", mean, m["standard_error"].get<double>());
}

}  // namespace

MdRunResult run_md(const Molecule& molecule, const MdRunOptions& options, const RunDirectory& dir,
                   MdStart start, c10::Device device, at::Generator& gen, MdObserver& observer) {
    MdSimulation md(molecule, options, device);
    const std::string checkpoint_path = dir.path("checkpoint.pt");
    if (start == MdStart::FromCheckpoint) {
        md.resume(checkpoint_path, dir.root(), gen);
        observer.resumed(md.state().frames_done, options.n_frames);
    } else {
        md.start(gen);
    }
    md.run(gen, observer, checkpoint_path);
    return {write_md_outputs(md, dir)};
}

nlohmann::json write_md_outputs(const MdSimulation& md, const RunDirectory& dir) {
    const Molecule& molecule = md.molecule();
    const MdRunOptions& plan = md.options();
    const MdRunState& run = md.state();
    const ReplicaExchange& rex = md.exchange();
    const bool exchanging = rex.n_temperatures() > 1;
    const int64_t n_atoms = molecule.n_particles();
    const std::vector<Torsion> torsions = backbone_torsions(read_pdb_atoms(molecule.params().pdb));
    const at::Tensor torsion_index = torsion_atoms(torsions);
    const double n_dof_internal = 3.0 * static_cast<double>(n_atoms) - 3.0;
    const double frame_interval_ps =
        static_cast<double>(plan.steps_per_frame) * plan.langevin.step_size;
    nlohmann::json stats = run.start;
    for (int64_t k = 0; k < rex.n_temperatures(); ++k) {
        const double t = plan.temperatures[static_cast<size_t>(k)];
        const std::string sub = temperature_dir(t);
        std::filesystem::create_directories(dir.path(sub));
        const int64_t lo = k * plan.n_replicas;
        const at::Tensor frames = run.frames.narrow(1, lo, plan.n_replicas).contiguous();
        const at::Tensor flat = frames.flatten(0, 1);
        const at::Tensor flat64 = flat.to(at::kDouble);
        const at::Tensor potential = run.potential.narrow(1, lo, plan.n_replicas);
        const at::Tensor t_kin = run.t_kin.narrow(1, lo, plan.n_replicas).contiguous();
        const MdSamples samples = md.samples(k);
        write_npy(dir.path(sub + "/frames.npy"), frames);
        write_sample_set(dir.path(sub), samples.samples, samples.energies,
                         samples.samples.scalar_type());
        write_npy(dir.path(sub + "/kinetic_temperature.npy"), t_kin);
        if (!torsions.empty())
            write_npy(
                dir.path(sub + "/torsions.npy"),
                dihedral_angles(flat64, torsion_index).view({plan.n_frames, plan.n_replicas, -1}));
        if (plan.dcd) {
            write_dcd(dir.path(sub + "/trajectory.dcd"), flat, frame_interval_ps,
                      fmt::format("pita md {:g} K, {} replicas, frame-major", t, plan.n_replicas));
        }
        nlohmann::json per_t = {{"temperature", t}, {"directory", sub}};
        per_t["kinetic_temperature"] = mean_and_error(t_kin);
        // Virial form: free (the forces are at hand) but noisy on stiff bonds; Rugh's form on
        // up to conf_samples evenly spaced frames: 2·3N + 1 force evaluations each, not counted.
        per_t["configurational_temperature_virial"] = mean_and_error(
            run.virial.narrow(1, lo, plan.n_replicas) / (n_dof_internal * kMolarGasConstant));
        if (plan.conf_samples > 0) {
            const int64_t stride = std::max<int64_t>(1, flat.size(0) / plan.conf_samples);
            const ConfigurationalTemperature rugh = rugh_configurational_temperature(
                molecule.physical(), flat64.slice(0, 0, flat64.size(0), stride));
            per_t["configurational_temperature"] = {
                {"mean", rugh.value / kMolarGasConstant},
                {"standard_error", rugh.standard_error / kMolarGasConstant},
                {"estimator", "Rugh, <|grad U|^2>/<lap U>, independent-sample error"},
                {"frames", (flat.size(0) + stride - 1) / stride}};
        }
        per_t["potential_energy_kj_mol"] = mean_and_error(potential);
        stats["temperatures"].push_back(per_t);
    }
    if (exchanging) {
        nlohmann::json pairs = nlohmann::json::array();
        for (size_t k = 0; k + 1 < plan.temperatures.size(); ++k)
            pairs.push_back(
                {{"temperatures", {plan.temperatures[k], plan.temperatures[k + 1]}},
                 {"attempts", rex.attempts()[k]},
                 {"acceptance", rex.attempts()[k] > 0 ? static_cast<double>(rex.accepts()[k]) /
                                                            static_cast<double>(rex.attempts()[k])
                                                      : 0.0}});
        stats["exchange"] = {{"interval_steps", plan.exchange_interval},
                             {"pairs", pairs},
                             {"round_trips", rex.round_trips()}};
    }
    for (const Torsion& t : torsions) stats["torsion_names"].push_back(t.name);
    const int64_t steps = run.state.steps;
    const int64_t n_total = rex.n_replicas();
    const double simulated_ns = static_cast<double>(steps) * plan.langevin.step_size * 1e-3;
    stats["frames_shape"] = {plan.n_frames, plan.n_replicas, n_atoms, 3};
    stats["frames_unit"] = "nm";
    stats["frame_interval_ps"] = frame_interval_ps;
    stats["replicas"] = n_total;
    stats["steps_per_replica"] = steps;
    stats["force_evaluations"] = run.evaluations;
    stats["seconds"] = run.seconds;
    stats["ns_per_day_per_replica"] = simulated_ns / run.seconds * 86400.0;
    stats["ns_per_day_total"] = simulated_ns * static_cast<double>(n_total) / run.seconds * 86400.0;
    write_json(dir.path("md.json"), stats);
    return stats;
}

std::string format_md_summary(const nlohmann::json& stats) {
    const auto evaluations = stats["force_evaluations"].get<int64_t>();
    const auto seconds = stats["seconds"].get<double>();
    std::string out = fmt::format(
        "{} force evaluations in {:.1f} s ({:.0f}/s); {:.1f} ns/day per replica, {:.1f} "
        "ns/day in all\n",
        evaluations, seconds, static_cast<double>(evaluations) / seconds,
        stats["ns_per_day_per_replica"].get<double>(), stats["ns_per_day_total"].get<double>());
    for (const auto& t : stats["temperatures"])
        out += fmt::format("  {:>8g} K: T_kin {} K, T_conf {} K, <U> {} kJ/mol\n",
                           t["temperature"].get<double>(), plus_minus(t["kinetic_temperature"]),
                           t.contains("configurational_temperature")
                               ? plus_minus(t["configurational_temperature"])
                               : std::string("(skipped)"),
                           plus_minus(t["potential_energy_kj_mol"]));
    if (stats.contains("exchange")) {
        std::string acc;
        for (const auto& pair : stats["exchange"]["pairs"])
            acc += fmt::format(" {:.2f}", pair["acceptance"].get<double>());
        out += fmt::format("  exchange acceptance per pair:{}; round trips {:g}\n", acc,
                           stats["exchange"]["round_trips"].get<double>());
    }
    return out;
}

}  // namespace pita
