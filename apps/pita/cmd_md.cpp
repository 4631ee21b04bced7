// `pita md CONFIG [--resume DIR] [key=value ...]`: Langevin MD of a peptide target (PITA-SPEC
// §1.3): OpenMM's energy minimisation from the PDB structure, then batched LangevinMiddle
// dynamics of many replicas on pita's force field; with `md.temperatures` a ladder of heat baths
// that exchange configurations (replica-exchange MD) for reference-quality low-temperature data.
//
// Outputs (RUN_DIR), one folder per temperature, rows frame-major (frame f, replica r → f·R + r):
//   T<t>/frames.npy              [n_frames, n_replicas, n_atoms, 3] nm (output.frames_dtype),
//                                each frame centred on its centroid
//   T<t>/samples.npy             the same frames flattened, normalised as the target's model
//                                coordinates (spec §1.2): what `pita evaluate` and a run's
//                                `metrics.reference` read
//   T<t>/energies.npy            [n] the target's energies (kJ/mol / (R·1 K)), float64
//   T<t>/kinetic_temperature.npy [n_frames, n_replicas] K
//   T<t>/torsions.npy            [n_frames, n_replicas, n_torsions] rad (φ, ψ, ω; md.json names)
//   T<t>/trajectory.dcd          every frame, Å (mdtraj.load_dcd(..., top=the PDB))
//   md.json                      per temperature: T_kin and ⟨U⟩ with standard errors over the
//                                replicas, T_conf (Rugh's, on output.configurational_temperature_
//                                samples frames; and the noisier virial form); exchange
//                                acceptance per pair and round trips; force evaluations, ns/day
//   checkpoint.pt                the whole state, rewritten every output.checkpoint_minutes;
//                                `pita md CONFIG --resume RUN_DIR` continues bit for bit
#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <optional>
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
#include "pita/core/units.h"
#include "pita/io/npy.h"
#include "pita/io/run_directory.h"
#include "pita/io/tensor_archive.h"
#include "pita/io/trajectory.h"
#include "pita/md/langevin.h"
#include "pita/md/replica_exchange.h"
#include "pita/metrics/sample_metrics.h"
#include "pita/pipeline/memory_plan.h"
#include "pita/targets/energy_factory.h"
#ifdef PITA_WITH_OPENMM
#include "pita/molecule/molecule.h"
#include "pita/molecule/openmm_reference.h"
#include "pita/molecule/pdb.h"
#include "pita/molecule/torsions.h"
#endif
#include "pita/io/resume.h"
#include "pita/model/backbone_factory.h"
#include "run_settings.h"

namespace pita::cli {

#ifdef PITA_WITH_OPENMM
namespace {

constexpr const char* kCheckpointKind = "md";

/// What a resumed run may change: where and how fast it runs, how often it checkpoints, what
/// it derives from the frames, and how many frames it makes (a finished run is extended by
/// resuming it with more frames).
bool may_change_on_resume(const std::string& key) {
    return key == "output_dir" || key == "threads" || key == "device" || key == "md.n_frames" ||
           key == "output.checkpoint_minutes" || key == "output.dcd" ||
           key == "output.configurational_temperature_samples";
}

struct MdPlan {
    LangevinOptions langevin;
    std::vector<double> temperatures;  // ascending; one entry = plain MD
    int64_t n_replicas = 16;           // per temperature
    int64_t exchange_interval = 500;   // steps
    bool minimize = true;
    double minimize_tolerance = 1.0;
    int64_t warmup_steps = 5000;
    int64_t n_frames = 100;
    int64_t steps_per_frame = 10000;
    at::ScalarType frames_dtype = at::kFloat;
    bool dcd = true;
    double checkpoint_minutes = 10;
    int64_t conf_samples = 1000;  // frames per temperature for Rugh's T_conf
};

MdPlan read_plan(const ConfigNode& root) {
    const ConfigNode node = root.child("md");
    MdPlan p;
    p.langevin.friction =
        node.get_double("friction", p.langevin.friction, Bounds::above(0));  // 1/ps
    p.langevin.step_size =
        node.get_double("step_size", p.langevin.step_size, Bounds::above(0).at_most(0.01));  // ps
    const bool has_ladder = node.has("temperatures");
    if (has_ladder && node.has("temperature"))
        node.error("temperature",
                   "give either temperature (plain MD) or temperatures (replica exchange), not "
                   "both");
    p.temperatures =
        has_ladder ? node.get_double_list("temperatures", {}, Bounds::above(0))
                   : std::vector<double>{node.get_double("temperature", 300.0, Bounds::above(0))};
    if (p.temperatures.empty()) node.error("temperatures", "expected at least one temperature (K)");
    for (size_t k = 1; k < p.temperatures.size(); ++k)
        if (!(p.temperatures[k] > p.temperatures[k - 1]))
            node.error("temperatures",
                       fmt::format("expected a strictly increasing ladder; got {} after {}",
                                   p.temperatures[k], p.temperatures[k - 1]));
    p.langevin.temperature = p.temperatures.front();
    p.n_replicas = node.get_int("n_replicas", p.n_replicas, Bounds::at_least(1));
    p.exchange_interval =
        node.get_int("exchange_interval", p.exchange_interval, Bounds::at_least(1));
    p.minimize = node.get_bool("minimize", p.minimize);
    p.minimize_tolerance =
        node.get_double("minimize_tolerance", p.minimize_tolerance, Bounds::above(0));  // kJ/mol/nm
    p.warmup_steps = node.get_int("warmup_steps", p.warmup_steps, Bounds::at_least(0));
    p.n_frames = node.get_int("n_frames", p.n_frames, Bounds::at_least(1));
    p.steps_per_frame = node.get_int("steps_per_frame", p.steps_per_frame, Bounds::at_least(1));
    const ConfigNode out = root.child("output");
    p.frames_dtype = out.get_choice("frames_dtype", "float32", {"float32", "float64"}) == "float32"
                         ? at::kFloat
                         : at::kDouble;
    p.dcd = out.get_bool("dcd", p.dcd);
    // 0: every frame.
    p.checkpoint_minutes =
        out.get_double("checkpoint_minutes", p.checkpoint_minutes, Bounds::at_least(0));
    p.conf_samples =
        out.get_int("configurational_temperature_samples", p.conf_samples, Bounds::at_least(1));
    return p;
}

/// Everything a run accumulates; the checkpoint is exactly this.
struct MdProgress {
    MdState state;
    int64_t frames_done = 0;
    bool warmup_done = false;
    int64_t evaluations = 0;  // force evaluations after the minimisation
    double seconds = 0;       // dynamics wall time, summed over sessions
    at::Tensor frames;        // [n_frames, n_total, n_atoms, 3] nm, plan.frames_dtype
    at::Tensor t_kin;         // [n_frames, n_total] K
    at::Tensor potential;     // [n_frames, n_total] kJ/mol
    at::Tensor virial;        // [n_frames, n_total] Σ_i (x_i − x̄)·∇_i U, kJ/mol
    nlohmann::json start;     // energies of the PDB and the minimised structure
};

void save_progress(const std::string& path, const MdProgress& p, const ReplicaExchange& rex,
                   const at::Generator& gen) {
    TensorArchive a;
    a.record = {{"frames_done", p.frames_done},
                {"warmup_done", p.warmup_done},
                {"evaluations", p.evaluations},
                {"seconds", p.seconds},
                {"steps", p.state.steps},
                {"exchange", rex.save()},
                {"start", p.start}};
    a.tensors = {{"x", p.state.x},
                 {"v", p.state.v},
                 {"force", p.state.force},
                 {"potential_now", p.state.potential},
                 {"temperature", p.state.temperature},
                 {"frames", p.frames},
                 {"t_kin", p.t_kin},
                 {"potential", p.potential},
                 {"virial", p.virial},
                 {"generator", gen.get_state()}};
    save_tensor_archive(path, kCheckpointKind, a);
}

MdProgress load_progress(const std::string& path, ReplicaExchange& rex, at::Generator& gen) {
    TensorArchive a = load_tensor_archive(path, kCheckpointKind);
    MdProgress p;
    try {
        p.frames_done = a.record.at("frames_done").get<int64_t>();
        p.warmup_done = a.record.at("warmup_done").get<bool>();
        p.evaluations = a.record.at("evaluations").get<int64_t>();
        p.seconds = a.record.at("seconds").get<double>();
        p.state.steps = a.record.at("steps").get<int64_t>();
        p.start = a.record.at("start");
        rex.load(a.record.at("exchange"));
        p.state.x = a.tensors.at("x");
        p.state.v = a.tensors.at("v");
        p.state.force = a.tensors.at("force");
        p.state.potential = a.tensors.at("potential_now");
        p.state.temperature = a.tensors.at("temperature");
        p.frames = a.tensors.at("frames");
        p.t_kin = a.tensors.at("t_kin");
        p.potential = a.tensors.at("potential");
        p.virial = a.tensors.at("virial");
        gen.set_state(a.tensors.at("generator"));
    } catch (const std::out_of_range& e) {
        throw IoError(
            fmt::format("[md] checkpoint '{}' lacks an entry ({}); it was not written "
                        "by this version of pita md.",
                        path, e.what()));
    }
    return p;
}

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

}  // namespace

int run_md(const CommonArgs& args, const std::string& resume_dir) {
    std::vector<std::string> overrides = args.overrides;
    if (!resume_dir.empty()) overrides = resume_overrides("md", overrides, resume_dir);
    Config cfg = Config::load_file(args.config, overrides);
    const ConfigNode root = cfg.root();
    const RunSettings settings =
        read_run_settings(root, std::filesystem::path(args.config).stem().string() + "-md");
    std::unique_ptr<Energy> energy = make_energy(root.child("energy"));
    const auto* molecule = dynamic_cast<const Molecule*>(energy.get());
    PITA_CHECK(molecule != nullptr,
               "[md] energy.type: got '{}'; expected molecule. Langevin MD needs masses and "
               "physical units, which only peptide targets have.",
               energy->name());
    const MdPlan plan = read_plan(root);
    cfg.finish();
    const auto rows = plan.n_replicas * static_cast<int64_t>(plan.temperatures.size());
    const int64_t n_atoms = molecule->n_particles();
    MemoryEstimate memory;
    memory.add("md.n_replicas", sampler_state_bytes(rows, n_atoms, 3), "the replicas' states");
    // Frames (kept for the whole run and in the checkpoint), their samples and torsions.
    memory.add("md.n_frames", 4.0 * stored_rows_bytes(plan.n_frames * rows, n_atoms, 3),
               "recorded frames");
    require_memory(memory, "md");
    if (args.check_only) {
        return finish_check(
            args.print_config, cfg,
            fmt::format(
                "config OK: {} · {} temperature{} × {} replicas · {} frames × {} steps · memory "
                "{}\n",
                energy->name(), plan.temperatures.size(), plan.temperatures.size() == 1 ? "" : "s",
                plan.n_replicas, plan.n_frames, plan.steps_per_frame, memory.summary()));
    }

    const int threads = set_threads(settings.threads);
    const Energy& physical = molecule->physical();
    const LangevinMiddle md(physical, molecule->masses(), plan.langevin);
    ReplicaExchange rex(plan.temperatures, plan.n_replicas);
    const int64_t n_total = rex.n_replicas();
    const bool exchanging = rex.n_temperatures() > 1;
    RunDirectory dir = open_run_directory(settings.output_dir, resume_dir);
    const std::string checkpoint_path = dir.path("checkpoint.pt");
    // A run stopped before its first checkpoint has nothing to continue from: --resume then
    // starts it again in the same directory (its config is still checked against run.json).
    const bool resuming = !resume_dir.empty() && std::filesystem::exists(checkpoint_path);
    if (!resume_dir.empty()) {
        nlohmann::json record = read_resumable_record(
            dir, "md", resume_dir, cfg.resolved(), may_change_on_resume,
            "threads, device, output_dir, md.n_frames, output.checkpoint_minutes, output.dcd and "
            "output.configurational_temperature_samples");
        if (!resuming)
            std::cerr << fmt::format("[pita md] --resume {}: no checkpoint yet; starting anew.\n",
                                     resume_dir);
        record["resumed"].push_back(make_run_record(cfg.resolved(), settings.seed, threads,
                                                    settings.device.str(), args.command_line));
        dir.write_run_json(record);
    } else {
        nlohmann::json record = make_run_record(cfg.resolved(), settings.seed, threads,
                                                settings.device.str(), args.command_line);
        record["command"] = "md";
        record["energy"] = energy->config();
        dir.write_run_json(record);
    }
    std::cerr << fmt::format(
        "[pita md] {} atoms · {} · {} replica{} per temperature · {:g} fs · {} frames x {} steps "
        "· seed {} · {} thread{} · {} · output {}{}\n",
        n_atoms,
        exchanging ? fmt::format("replica exchange over {} temperatures {:g}–{:g} K every {} steps",
                                 rex.n_temperatures(), plan.temperatures.front(),
                                 plan.temperatures.back(), plan.exchange_interval)
                   : fmt::format("{:g} K", plan.temperatures.front()),
        plan.n_replicas, plan.n_replicas == 1 ? "" : "s", plan.langevin.step_size * 1000,
        plan.n_frames, plan.steps_per_frame, settings.seed, threads, threads == 1 ? "" : "s",
        settings.device.str(), dir.root(), resuming ? " (resumed)" : "");

    at::Generator gen = make_generator(settings.seed, settings.device);
    MdProgress run;
    if (resuming) {
        run = load_progress(checkpoint_path, rex, gen);
        // Checkpoints hold CPU tensors; the dynamics run on the device asked for now.
        for (at::Tensor* t : {&run.state.x, &run.state.v, &run.state.force, &run.state.potential,
                              &run.state.temperature})
            *t = t->to(settings.device);
        PITA_CHECK_AS(
            IoError,
            run.frames.dim() == 4 && run.frames.size(1) == n_total && run.frames.size(2) == n_atoms,
            "[md] --resume {}: the checkpoint's frames do not match the config.", resume_dir);
        PITA_CHECK(plan.n_frames >= run.frames_done,
                   "[md] --resume {}: md.n_frames {} is fewer than the {} frames already made; "
                   "give md.n_frames >= {}.",
                   resume_dir, plan.n_frames, run.frames_done, run.frames_done);
        // md.n_frames may change on resume: keep the frames made, room for the rest.
        auto resize = [&](at::Tensor& t) {
            if (t.size(0) > plan.n_frames) t = t.narrow(0, 0, plan.n_frames).contiguous();
            std::vector<int64_t> pad(t.sizes().begin(), t.sizes().end());
            pad[0] = plan.n_frames - t.size(0);
            if (pad[0] > 0) t = at::cat({t, at::zeros(pad, t.options())});
        };
        for (at::Tensor* t : {&run.frames, &run.t_kin, &run.potential, &run.virial}) resize(*t);
        std::cerr << fmt::format("[pita md] resuming after {} of {} frames\n", run.frames_done,
                                 plan.n_frames);
    } else {
        at::Tensor x0 = molecule->pdb_positions();
        run.start["pdb_energy_kj_mol"] = physical.energy(x0.unsqueeze(0)).item<double>();
        if (plan.minimize) {
            OpenMMReference omm(molecule->params().system, OpenMMPlatform::Cpu);
            x0 = omm.minimize(x0, plan.minimize_tolerance);
        }
        run.start["start_energy_kj_mol"] = physical.energy(x0.unsqueeze(0)).item<double>();
        const int64_t before = physical.evaluations();
        // Replicas live on settings.device (the force field's autograd path off the CPU); the
        // random numbers come from the CPU generator, so a run's noise does not depend on it.
        run.state = md.start(x0.unsqueeze(0).repeat({n_total, 1, 1}).to(settings.device),
                             rex.replica_temperatures(), gen);
        run.evaluations = physical.evaluations() - before;
        run.frames = at::zeros({plan.n_frames, n_total, n_atoms, 3}, plan.frames_dtype);
        run.t_kin = at::zeros({plan.n_frames, n_total}, at::kDouble);
        run.potential = at::zeros({plan.n_frames, n_total}, at::kDouble);
        run.virial = at::zeros({plan.n_frames, n_total}, at::kDouble);
    }

    // Dynamics in chunks that end on exchange times (every exchange_interval steps, counted
    // from the start of the warm-up).
    auto advance = [&](int64_t n_steps) {
        const auto t0 = std::chrono::steady_clock::now();
        const int64_t before = physical.evaluations();
        while (n_steps > 0) {
            const int64_t to_exchange =
                plan.exchange_interval - run.state.steps % plan.exchange_interval;
            const int64_t chunk = std::min(n_steps, to_exchange);
            md.run(run.state, chunk, gen);
            n_steps -= chunk;
            if (exchanging && run.state.steps % plan.exchange_interval == 0)
                rex.exchange(run.state, gen);
        }
        run.evaluations += physical.evaluations() - before;
        run.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    };

    if (!run.warmup_done) {
        Progress bar("warmup", plan.warmup_steps);
        for (int64_t done = 0; done < plan.warmup_steps;) {
            const int64_t chunk = std::min<int64_t>(1000, plan.warmup_steps - done);
            advance(chunk);
            done += chunk;
            bar.update(done);
        }
        bar.finish();
        run.warmup_done = true;
        save_progress(checkpoint_path, run, rex, gen);
    }
    auto last_checkpoint = std::chrono::steady_clock::now();
    if (run.frames_done < plan.n_frames) {
        Progress bar("production", plan.n_frames);
        while (run.frames_done < plan.n_frames) {
            advance(plan.steps_per_frame);
            const int64_t f = run.frames_done;
            // Centred on the unweighted centroid: the energy is translation invariant, and the
            // free drift of the centre of mass (OpenMM's CMMotionRemover would stop it; we do not
            // apply it) would otherwise cost float32 frames their precision over long runs.
            const at::Tensor centred = run.state.x - run.state.x.mean(1, true);
            run.frames[f].copy_(centred);
            run.t_kin[f].copy_(md.kinetic_temperature(run.state));
            run.potential[f].copy_(run.state.potential);
            // Σ_i (x_i − x̄)·∇_i U: the virial, whose average is (3N − 3)·kT for a
            // translation-invariant molecule (generalised equipartition).
            run.virial[f].copy_(-(centred * run.state.force).sum({1, 2}));
            ++run.frames_done;
            const double minutes =
                std::chrono::duration<double>(std::chrono::steady_clock::now() - last_checkpoint)
                    .count() /
                60.0;
            if (run.frames_done == plan.n_frames || minutes >= plan.checkpoint_minutes) {
                save_progress(checkpoint_path, run, rex, gen);
                last_checkpoint = std::chrono::steady_clock::now();
            }
            bar.update(
                run.frames_done,
                fmt::format(
                    "T_kin {:.0f} K{}", run.t_kin[f].mean().item<double>(),
                    exchanging ? fmt::format(" · round trips {:g}", rex.round_trips()) : ""));
        }
        bar.finish();
    }

    // ---- outputs, per temperature -----------------------------------------------------------
    const std::vector<Torsion> torsions = backbone_torsions(read_pdb_atoms(molecule->params().pdb));
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
        write_npy(dir.path(sub + "/frames.npy"), frames);
        write_npy(dir.path(sub + "/samples.npy"),
                  molecule->normalise(flat64).to(plan.frames_dtype));
        write_npy(dir.path(sub + "/energies.npy"),
                  potential.flatten().div(molecule_energy_unit()).contiguous());
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
                physical, flat64.slice(0, 0, flat64.size(0), stride));
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

    fmt::print(
        "{} force evaluations in {:.1f} s ({:.0f}/s); {:.1f} ns/day per replica, {:.1f} "
        "ns/day in all\n",
        run.evaluations, run.seconds, static_cast<double>(run.evaluations) / run.seconds,
        stats["ns_per_day_per_replica"].get<double>(), stats["ns_per_day_total"].get<double>());
    for (const auto& per_t : stats["temperatures"]) {
        auto pm = [](const nlohmann::json& m) {
            return m["standard_error"].is_null()
                       ? fmt::format("{:.1f}", m["mean"].get<double>())
                       : fmt::format("{:.1f} ± {:.1f}", m["mean"].get<double>(),
                                     m["standard_error"].get<double>());
        };
        fmt::print("  {:>8g} K: T_kin {} K, T_conf {} K, <U> {} kJ/mol\n",
                   per_t["temperature"].get<double>(), pm(per_t["kinetic_temperature"]),
                   per_t.contains("configurational_temperature")
                       ? pm(per_t["configurational_temperature"])
                       : std::string("(skipped)"),
                   pm(per_t["potential_energy_kj_mol"]));
    }
    if (exchanging) {
        std::string acc;
        for (const auto& pair : stats["exchange"]["pairs"])
            acc += fmt::format(" {:.2f}", pair["acceptance"].get<double>());
        fmt::print("  exchange acceptance per pair:{}; round trips {:g}\n", acc, rex.round_trips());
    }
    fmt::print("outputs in {}/\n", dir.root());
    return 0;
}
#else
int run_md(const CommonArgs&, const std::string&) {
    throw ConfigError(
        "[md] this pita was built without OpenMM: got PITA_WITH_OPENMM off; expected on. Install "
        "OpenMM (libopenmm-dev) and reconfigure.");
}
#endif

}  // namespace pita::cli
