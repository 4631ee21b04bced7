#pragma once
// Langevin MD of a peptide target (PITA-SPEC §1.3), in memory: OpenMM's energy minimisation from
// the PDB structure, then batched LangevinMiddle dynamics of many replicas on pita's force field
// (a warm-up, then production with a frame every steps_per_frame steps); with more than one
// temperature a ladder of heat baths that exchange configurations (replica-exchange MD). What
// `pita md` runs (pita/md/md_run.h writes its folder), and what a pipeline's data phase can run
// without writing anything:
//
//   MdSimulation md(molecule, options, device);
//   md.start(gen);
//   md.run(gen);
//   MdSamples data = md.samples(0);  // the frames as model coordinates, their energies
#include <cstdint>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "pita/md/langevin.h"
#include "pita/md/md_checkpoint.h"
#include "pita/md/md_observer.h"
#include "pita/md/md_options.h"
#include "pita/md/replica_exchange.h"

namespace pita {

class Energy;
class Molecule;

/// The target of MD: `energy` as a Molecule (masses, physical units).
/// @throws ConfigError naming energy.type for any other target
const Molecule& md_target(const Energy& energy);

/// The frames of one temperature, as a sampler or `pita evaluate` reads them.
struct MdSamples {
    double temperature = 0;  ///< K
    /// [n_frames · n_replicas, n_atoms, 3], frame-major (frame f, replica r → f·n_replicas + r),
    /// the target's normalised model coordinates (Molecule::normalise of the centred frames),
    /// options.frames_dtype, CPU
    at::Tensor samples;
    /// [n_frames · n_replicas] the target's energies (kJ/mol / (R·1 K)), float64, CPU
    at::Tensor energies;
    /// Force evaluations of the whole run (every replica of every temperature, after the
    /// minimisation; Rugh's T_conf is not counted).
    int64_t force_evaluations = 0;
};

class MdSimulation {
  public:
    /// Nothing runs yet: start() or resume() first.
    /// @param molecule  must outlive this object
    /// @param device    where the replicas live (the force field's autograd path off the CPU);
    ///                  the recorded frames stay on the CPU
    /// @throws ConfigError for bad options
    MdSimulation(const Molecule& molecule, MdRunOptions options, c10::Device device);

    /// A fresh start: the PDB structure, minimised (options.minimize), copied to every replica,
    /// with Maxwell–Boltzmann velocities at each replica's bath temperature (one force
    /// evaluation per replica, counted).
    void start(at::Generator& gen);
    /// Continues from a checkpoint of this run (save_md_checkpoint()): its state, exchange
    /// counters and random stream. options.n_frames may differ from the checkpoint's: frames
    /// made are kept, room is made for the rest.
    /// @param label  names the run in messages (pita md: the --resume directory)
    /// @throws IoError for a missing or damaged checkpoint or one whose frames do not match
    /// @throws ConfigError when options.n_frames is below the frames already made
    void resume(const std::string& checkpoint_path, const std::string& label, at::Generator& gen);
    /// Writes the whole state (and `gen`'s) to `path`, atomically.
    void save_checkpoint(const std::string& path, const at::Generator& gen) const;

    /// The warm-up (unless done), then production until options.n_frames frames are recorded.
    /// Exchanges every options.exchange_interval steps, counted from the start of the warm-up.
    /// With a `checkpoint_path`, saves after the warm-up, after the last frame and whenever
    /// options.checkpoint_minutes have passed since the last save.
    void run(at::Generator& gen, MdObserver& observer, const std::string& checkpoint_path = "");
    void run(at::Generator& gen);

    /// The frames of temperature `k` (0 = the coldest) so far recorded; see MdSamples. Rows of
    /// frames not yet made are zeros.
    MdSamples samples(int64_t k) const;

    const Molecule& molecule() const { return molecule_; }
    const MdRunOptions& options() const { return options_; }
    const LangevinMiddle& dynamics() const { return dynamics_; }
    const ReplicaExchange& exchange() const { return exchange_; }
    const MdRunState& state() const { return run_; }

  private:
    void advance(int64_t n_steps, at::Generator& gen);
    void record_frame();

    const Molecule& molecule_;
    MdRunOptions options_;
    c10::Device device_;
    LangevinMiddle dynamics_;
    ReplicaExchange exchange_;
    MdRunState run_;
};

/// One run at options' temperatures without any file: start, run, and the samples of every
/// temperature, ascending.
std::vector<MdSamples> simulate_md(const Molecule& molecule, const MdRunOptions& options,
                                   c10::Device device, at::Generator& gen, MdObserver& observer);

}  // namespace pita
