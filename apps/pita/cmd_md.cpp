// `pita md CONFIG [key=value ...]`: Langevin MD of a peptide target (PITA-SPEC §1.3): OpenMM's
// energy minimisation from the PDB structure, then batched LangevinMiddle dynamics of many
// replicas on pita's force field, saving frames in nm.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <vector>

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "pita/config/config.h"
#include "pita/core/device.h"
#include "pita/core/error.h"
#include "pita/core/progress.h"
#include "pita/core/rng.h"
#include "pita/energy/energy_factory.h"
#include "pita/io/npy.h"
#include "pita/io/run_directory.h"
#include "pita/md/langevin.h"
#ifdef PITA_WITH_OPENMM
#include "pita/molecule/molecule.h"
#include "pita/molecule/openmm_reference.h"
#include "pita/molecule/pdb.h"
#include "pita/molecule/torsions.h"
#endif
#include "run_settings.h"

namespace pita::cli {

#ifdef PITA_WITH_OPENMM
int run_md(const CommonArgs& args) {
    Config cfg = Config::load_file(args.config, args.overrides);
    const ConfigNode root = cfg.root();
    const RunSettings settings =
        read_run_settings(root, std::filesystem::path(args.config).stem().string() + "-md");
    std::unique_ptr<Energy> energy = make_energy(root.child("energy"));
    const auto* molecule = dynamic_cast<const Molecule*>(energy.get());
    PITA_CHECK(molecule != nullptr,
               "[md] energy.type: got '{}'; expected molecule. Langevin MD needs masses and "
               "physical units, which only peptide targets have.",
               energy->name());
    const ConfigNode node = root.child("md");
    LangevinOptions o;
    o.temperature = node.get_double("temperature", o.temperature);
    o.friction = node.get_double("friction", o.friction);
    o.step_size = node.get_double("step_size", o.step_size);
    const int64_t n_replicas = node.get_int("n_replicas", 16);
    const bool minimize = node.get_bool("minimize", true);
    const double minimize_tolerance = node.get_double("minimize_tolerance", 1.0);
    const int64_t warmup_steps = node.get_int("warmup_steps", 5000);
    const int64_t n_frames = node.get_int("n_frames", 100);
    const int64_t steps_per_frame = node.get_int("steps_per_frame", 10000);
    const std::string frames_dtype =
        root.child("output").get_choice("frames_dtype", "float32", {"float32", "float64"});
    if (n_replicas < 1) node.error("n_replicas", "expected >= 1");
    if (warmup_steps < 0) node.error("warmup_steps", "expected >= 0");
    if (n_frames < 1) node.error("n_frames", "expected >= 1");
    if (steps_per_frame < 1) node.error("steps_per_frame", "expected >= 1");
    if (minimize_tolerance <= 0) node.error("minimize_tolerance", "expected > 0 (kJ/mol/nm)");
    cfg.finish();

    const int threads = set_threads(settings.threads);
    const Energy& physical = molecule->physical();
    const LangevinMiddle md(physical, molecule->masses(), o);
    RunDirectory dir = RunDirectory::create(settings.output_dir);
    nlohmann::json record =
        make_run_record(cfg.resolved(), settings.seed, threads, "cpu", args.command_line);
    record["command"] = "md";
    record["energy"] = energy->config();
    dir.write_run_json(record);
    std::cerr << fmt::format(
        "[pita md] {} atoms · {} replicas · {:g} K · {:g} fs · {} frames x {} steps · seed {} · "
        "{} thread{} · output {}\n",
        molecule->n_particles(), n_replicas, o.temperature, o.step_size * 1000, n_frames,
        steps_per_frame, settings.seed, threads, threads == 1 ? "" : "s", dir.root());

    at::Tensor x0 = molecule->pdb_positions();
    nlohmann::json stats;
    stats["pdb_energy_kj_mol"] = physical.energy(x0.unsqueeze(0)).item<double>();
    if (minimize) {
        OpenMMReference omm(molecule->params().system, OpenMMPlatform::Cpu);
        x0 = omm.minimize(x0, minimize_tolerance);
    }
    stats["start_energy_kj_mol"] = physical.energy(x0.unsqueeze(0)).item<double>();
    const int64_t evaluations_before = physical.evaluations();

    at::Generator gen = make_generator(settings.seed);
    const auto t0 = std::chrono::steady_clock::now();
    MdState state = md.start(x0.unsqueeze(0).repeat({n_replicas, 1, 1}), gen);
    {
        Progress bar("warmup", warmup_steps);
        for (int64_t done = 0; done < warmup_steps;) {
            const int64_t chunk = std::min<int64_t>(1000, warmup_steps - done);
            md.run(state, chunk, gen);
            done += chunk;
            bar.update(done);
        }
        bar.finish();
    }
    const auto out_dtype = frames_dtype == "float32" ? at::kFloat : at::kDouble;
    at::Tensor frames = at::empty({n_frames, n_replicas, molecule->n_particles(), 3}, out_dtype);
    at::Tensor t_kin = at::empty({n_frames, n_replicas}, at::kDouble);
    at::Tensor potential = at::empty({n_frames, n_replicas}, at::kDouble);
    {
        Progress bar("production", n_frames);
        for (int64_t f = 0; f < n_frames; ++f) {
            md.run(state, steps_per_frame, gen);
            frames[f].copy_(state.x);
            t_kin[f].copy_(md.kinetic_temperature(state));
            bar.update(f + 1, fmt::format("T_kin {:.0f} K", t_kin[f].mean().item<double>()));
        }
        bar.finish();
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const int64_t evaluations = physical.evaluations() - evaluations_before;
    // Potential energies of the frames (not counted: diagnostics only).
    for (int64_t f = 0; f < n_frames; ++f)
        potential[f].copy_(physical.energy(frames[f].to(at::kDouble)));

    // Backbone torsions of every frame (φ, ψ, ω from the PDB topology), for Ramachandran plots.
    const std::vector<Torsion> torsions = backbone_torsions(read_pdb_atoms(molecule->params().pdb));
    if (!torsions.empty()) {
        write_npy(dir.path("torsions.npy"),
                  dihedral_angles(frames.to(at::kDouble).flatten(0, 1), torsion_atoms(torsions))
                      .view({n_frames, n_replicas, -1}));
        for (const Torsion& t : torsions) stats["torsion_names"].push_back(t.name);
        stats["torsions_file"] = "torsions.npy";
    }
    write_npy(dir.path("frames.npy"), frames);
    write_npy(dir.path("kinetic_temperature.npy"), t_kin);
    write_npy(dir.path("potential_energy.npy"), potential);
    const int64_t steps = warmup_steps + n_frames * steps_per_frame;
    const double simulated_ns = static_cast<double>(steps) * o.step_size * 1e-3;
    stats["frames_file"] = "frames.npy";
    stats["frames_shape"] = {n_frames, n_replicas, molecule->n_particles(), 3};
    stats["frames_unit"] = "nm";
    stats["steps_per_replica"] = steps;
    stats["force_evaluations"] = evaluations;
    stats["seconds"] = seconds;
    stats["ns_per_day_per_replica"] = simulated_ns / seconds * 86400.0;
    stats["ns_per_day_total"] = simulated_ns * static_cast<double>(n_replicas) / seconds * 86400.0;
    stats["kinetic_temperature_mean"] = t_kin.mean().item<double>();
    stats["kinetic_temperature_stderr_naive"] =
        t_kin.std().item<double>() / std::sqrt(static_cast<double>(t_kin.numel()));
    stats["potential_energy_mean_kj_mol"] = potential.mean().item<double>();
    write_json(dir.path("md.json"), stats);
    fmt::print(
        "{} force evaluations in {:.1f} s ({:.0f}/s); {:.1f} ns/day per replica, {:.1f} ns/day "
        "in all; mean T_kin {:.1f} K (target {:g}); outputs in {}/\n",
        evaluations, seconds, static_cast<double>(evaluations) / seconds,
        stats["ns_per_day_per_replica"].get<double>(), stats["ns_per_day_total"].get<double>(),
        stats["kinetic_temperature_mean"].get<double>(), o.temperature, dir.root());
    return 0;
}
#else
int run_md(const CommonArgs&) {
    throw ConfigError(
        "[md] this pita was built without OpenMM: got PITA_WITH_OPENMM off; expected on. Install "
        "OpenMM (libopenmm-dev) and reconfigure.");
}
#endif

}  // namespace pita::cli
