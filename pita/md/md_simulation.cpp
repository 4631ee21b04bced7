#include "pita/md/md_simulation.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include <ATen/ATen.h>
#include <fmt/format.h>

#include "pita/core/error.h"
#include "pita/molecule/molecule.h"
#include "pita/molecule/openmm_reference.h"

namespace pita {

const Molecule& md_target(const Energy& energy) {
    const auto* molecule = dynamic_cast<const Molecule*>(&energy);
    PITA_CHECK(molecule != nullptr,
               "[md] energy.type: got '{}'; expected molecule. Langevin MD needs masses and "
               "physical units, which only peptide targets have.",
               energy.name());
    return *molecule;
}

MdSimulation::MdSimulation(const Molecule& molecule, MdRunOptions options, c10::Device device)
    : molecule_(molecule),
      options_(std::move(options)),
      device_(device),
      dynamics_(molecule.physical(), molecule.masses(), options_.langevin),
      exchange_(options_.temperatures, options_.n_replicas) {}

void MdSimulation::start(at::Generator& gen) {
    const Energy& physical = molecule_.physical();
    const int64_t n_total = exchange_.n_replicas();
    run_ = MdRunState{};
    at::Tensor x0 = molecule_.pdb_positions();
    run_.start["pdb_energy_kj_mol"] = physical.energy(x0.unsqueeze(0)).item<double>();
    if (options_.minimize) {
        OpenMMReference omm(molecule_.params().system, OpenMMPlatform::Cpu);
        x0 = omm.minimize(x0, options_.minimize_tolerance);
    }
    run_.start["start_energy_kj_mol"] = physical.energy(x0.unsqueeze(0)).item<double>();
    const int64_t before = physical.evaluations();
    // Replicas live on device_ (the force field's autograd path off the CPU); the random numbers
    // come from `gen`.
    run_.state = dynamics_.start(x0.unsqueeze(0).repeat({n_total, 1, 1}).to(device_),
                                 exchange_.replica_temperatures(), gen);
    run_.evaluations = physical.evaluations() - before;
    const int64_t n_atoms = molecule_.n_particles();
    run_.frames = at::zeros({options_.n_frames, n_total, n_atoms, 3}, options_.frames_dtype);
    run_.t_kin = at::zeros({options_.n_frames, n_total}, at::kDouble);
    run_.potential = at::zeros({options_.n_frames, n_total}, at::kDouble);
    run_.virial = at::zeros({options_.n_frames, n_total}, at::kDouble);
}

void MdSimulation::resume(const std::string& checkpoint_path, const std::string& label,
                          at::Generator& gen) {
    run_ = load_md_checkpoint(checkpoint_path, exchange_, gen);
    // Checkpoints hold CPU tensors; the dynamics run on the device asked for now.
    for (at::Tensor* t : {&run_.state.x, &run_.state.v, &run_.state.force, &run_.state.potential,
                          &run_.state.temperature})
        *t = t->to(device_);
    PITA_CHECK_AS(IoError,
                  run_.frames.dim() == 4 && run_.frames.size(1) == exchange_.n_replicas() &&
                      run_.frames.size(2) == molecule_.n_particles(),
                  "[md] --resume {}: the checkpoint's frames do not match the config.", label);
    const int64_t n_frames = options_.n_frames;
    PITA_CHECK(n_frames >= run_.frames_done,
               "[md] --resume {}: md.n_frames {} is fewer than the {} frames already made; "
               "give md.n_frames >= {}.",
               label, n_frames, run_.frames_done, run_.frames_done);
    // md.n_frames may change on resume: keep the frames made, room for the rest.
    auto resize = [&](at::Tensor& t) {
        if (t.size(0) > n_frames) t = t.narrow(0, 0, n_frames).contiguous();
        std::vector<int64_t> pad(t.sizes().begin(), t.sizes().end());
        pad[0] = n_frames - t.size(0);
        if (pad[0] > 0) t = at::cat({t, at::zeros(pad, t.options())});
    };
    for (at::Tensor* t : {&run_.frames, &run_.t_kin, &run_.potential, &run_.virial}) resize(*t);
}

void MdSimulation::save_checkpoint(const std::string& path, const at::Generator& gen) const {
    save_md_checkpoint(path, run_, exchange_, gen);
}

// Dynamics in chunks that end on exchange times (every exchange_interval steps, counted from the
// start of the warm-up).
void MdSimulation::advance(int64_t n_steps, at::Generator& gen) {
    const Energy& physical = molecule_.physical();
    const bool exchanging = exchange_.n_temperatures() > 1;
    const int64_t interval = options_.exchange_interval;
    const auto t0 = std::chrono::steady_clock::now();
    const int64_t before = physical.evaluations();
    while (n_steps > 0) {
        const int64_t to_exchange = interval - run_.state.steps % interval;
        const int64_t chunk = std::min(n_steps, to_exchange);
        dynamics_.run(run_.state, chunk, gen);
        n_steps -= chunk;
        if (exchanging && run_.state.steps % interval == 0) exchange_.exchange(run_.state, gen);
    }
    run_.evaluations += physical.evaluations() - before;
    run_.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void MdSimulation::record_frame() {
    const int64_t f = run_.frames_done;
    // Centred on the unweighted centroid: the energy is translation invariant, and the free
    // drift of the centre of mass (OpenMM's CMMotionRemover would stop it; we do not apply it)
    // would otherwise cost float32 frames their precision over long runs.
    const at::Tensor centred = run_.state.x - run_.state.x.mean(1, true);
    run_.frames[f].copy_(centred);
    run_.t_kin[f].copy_(dynamics_.kinetic_temperature(run_.state));
    run_.potential[f].copy_(run_.state.potential);
    // Σ_i (x_i − x̄)·∇_i U: the virial, whose average is (3N − 3)·kT for a translation-invariant
    // molecule (generalised equipartition).
    run_.virial[f].copy_(-(centred * run_.state.force).sum({1, 2}));
    ++run_.frames_done;
}

void MdSimulation::run(at::Generator& gen, MdObserver& observer,
                       const std::string& checkpoint_path) {
    const bool checkpointing = !checkpoint_path.empty();
    if (!run_.warmup_done) {
        const int64_t total = options_.warmup_steps;
        observer.phase_started("warmup", total);
        for (int64_t done = 0; done < total;) {
            const int64_t chunk = std::min<int64_t>(1000, total - done);
            advance(chunk, gen);
            done += chunk;
            observer.progress("warmup", done, total, "");
        }
        observer.phase_finished("warmup");
        run_.warmup_done = true;
        if (checkpointing) save_checkpoint(checkpoint_path, gen);
    }
    const int64_t n_frames = options_.n_frames;
    if (run_.frames_done >= n_frames) return;
    const bool exchanging = exchange_.n_temperatures() > 1;
    auto last_checkpoint = std::chrono::steady_clock::now();
    observer.phase_started("production", n_frames);
    while (run_.frames_done < n_frames) {
        advance(options_.steps_per_frame, gen);
        record_frame();
        const double minutes =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - last_checkpoint)
                .count() /
            60.0;
        if (checkpointing &&
            (run_.frames_done == n_frames || minutes >= options_.checkpoint_minutes)) {
            save_checkpoint(checkpoint_path, gen);
            last_checkpoint = std::chrono::steady_clock::now();
        }
        observer.progress(
            "production", run_.frames_done, n_frames,
            fmt::format(
                "T_kin {:.0f} K{}", run_.t_kin[run_.frames_done - 1].mean().item<double>(),
                exchanging ? fmt::format(" · round trips {:g}", exchange_.round_trips()) : ""));
    }
    observer.phase_finished("production");
}

void MdSimulation::run(at::Generator& gen) {
    MdObserver silent;
    run(gen, silent);
}

MdSamples MdSimulation::samples(int64_t k) const {
    PITA_CHECK(k >= 0 && k < exchange_.n_temperatures(),
               "[md] samples: got temperature index {}; expected 0 to {}", k,
               exchange_.n_temperatures() - 1);
    const int64_t lo = k * options_.n_replicas;
    MdSamples out;
    out.temperature = options_.temperatures[static_cast<size_t>(k)];
    const at::Tensor flat64 =
        run_.frames.narrow(1, lo, options_.n_replicas).flatten(0, 1).to(at::kDouble);
    out.samples = molecule_.normalise(flat64).to(options_.frames_dtype);
    out.energies = run_.potential.narrow(1, lo, options_.n_replicas)
                       .flatten()
                       .div(molecule_energy_unit())
                       .contiguous();
    out.force_evaluations = run_.evaluations;
    return out;
}

std::vector<MdSamples> simulate_md(const Molecule& molecule, const MdRunOptions& options,
                                   c10::Device device, at::Generator& gen, MdObserver& observer) {
    MdSimulation md(molecule, options, device);
    md.start(gen);
    md.run(gen, observer);
    std::vector<MdSamples> out;
    for (int64_t k = 0; k < md.exchange().n_temperatures(); ++k) out.push_back(md.samples(k));
    return out;
}

}  // namespace pita
