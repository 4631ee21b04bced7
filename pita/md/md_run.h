#pragma once
// `pita md`'s run in one call: an MdSimulation (pita/md/md_simulation.h) started afresh or
// resumed from the run directory's checkpoint, run with checkpoints, and its outputs written in
// the directory's layout.
//
// Outputs (RUN_DIR), one folder per temperature, rows frame-major (frame f, replica r → f·R + r):
//   T<t>/frames.npy              [n_frames, n_replicas, n_atoms, 3] nm (output.frames_dtype),
//                                each frame centred on its centroid
//   T<t>/samples.npy             the same frames flattened, normalised as the target's model
//                                coordinates (spec §1.2): MdSimulation::samples(), what `pita
//                                evaluate` and a run's `metrics.reference` read
//   T<t>/energies.npy            [n] the target's energies (kJ/mol / (R·1 K)), float64
//   T<t>/kinetic_temperature.npy [n_frames, n_replicas] K
//   T<t>/torsions.npy            [n_frames, n_replicas, n_torsions] rad (φ, ψ, ω; md.json names)
//   T<t>/trajectory.dcd          every frame, Å (mdtraj.load_dcd(..., top=the PDB))
//   md.json                      per temperature: T_kin and ⟨U⟩ with standard errors over the
//                                replicas, T_conf (Rugh's, on output.configurational_temperature_
//                                samples frames; and the noisier virial form); exchange
//                                acceptance per pair and round trips; force evaluations, ns/day
//   checkpoint.pt                the whole state, rewritten every output.checkpoint_minutes;
//                                resuming continues bit for bit
#include <string>

#include <nlohmann/json.hpp>

#include "pita/core/tensor_fwd.h"
#include "pita/md/md_observer.h"
#include "pita/md/md_options.h"

namespace pita {

class Molecule;
class MdSimulation;
class RunDirectory;

/// How run_md begins.
enum class MdStart {
    Fresh,           ///< minimise the PDB structure and start new replicas
    FromCheckpoint,  ///< continue from RUN_DIR/checkpoint.pt (which must exist)
};

struct MdRunResult {
    nlohmann::json stats;  ///< what md.json holds
};

/// Runs MD of `molecule` as `options` say, checkpointing to `dir`/checkpoint.pt, and writes the
/// outputs listed above into `dir`.
/// @param device  where the replicas live; `gen` draws every random number of the run
/// @throws IoError for a damaged or mismatched checkpoint, or files that cannot be written;
///         ConfigError when options.n_frames is below the frames a checkpoint already holds
MdRunResult run_md(const Molecule& molecule, const MdRunOptions& options, const RunDirectory& dir,
                   MdStart start, c10::Device device, at::Generator& gen, MdObserver& observer);

/// The outputs listed above (all but checkpoint.pt) of `md`'s recorded frames, in `dir`.
/// @return md.json's content
nlohmann::json write_md_outputs(const MdSimulation& md, const RunDirectory& dir);

/// The lines a person reads at the end of a run, from md.json's content: force evaluations and
/// speed; T_kin, T_conf and ⟨U⟩ per temperature; a ladder's exchange acceptance and round trips.
std::string format_md_summary(const nlohmann::json& stats);

}  // namespace pita
