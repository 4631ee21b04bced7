#pragma once
// What `pita md` (and any other caller of pita/md/md_simulation.h) is asked to do: the dynamics,
// the temperature ladder, the run's length and what it records. Read from a config's `md:` and
// `output:` sections by read_md_run_options(), which range-checks every key.
#include <cstdint>
#include <string>
#include <vector>

#include "pita/core/memory_estimate.h"
#include "pita/core/tensor_fwd.h"
#include "pita/md/langevin.h"

namespace pita {

class ConfigNode;

struct MdRunOptions {
    /// friction (1/ps) and step size (ps); its temperature is temperatures.front().
    LangevinOptions langevin;
    std::vector<double> temperatures{300.0};  ///< K, strictly increasing; one entry = plain MD
    int64_t n_replicas = 16;                  ///< per temperature
    int64_t exchange_interval = 500;          ///< steps between exchange rounds (a ladder only)
    bool minimize = true;                     ///< OpenMM's minimiser from the PDB structure
    double minimize_tolerance = 1.0;          ///< kJ/mol/nm
    int64_t warmup_steps = 5000;
    int64_t n_frames = 100;
    int64_t steps_per_frame = 10000;             ///< steps between recorded frames
    c10::ScalarType frames_dtype = c10::kFloat;  ///< of the recorded frames and samples
    bool dcd = true;                             ///< write T<t>/trajectory.dcd
    double checkpoint_minutes = 10;              ///< 0: a checkpoint after every frame
    int64_t conf_samples = 1000;                 ///< frames per temperature for Rugh's T_conf
};

/// Reads the dynamics keys of an MD section into `options`: friction, step_size, n_replicas,
/// minimize, minimize_tolerance, warmup_steps, n_frames, steps_per_frame (the temperature and the
/// outputs are the caller's: `pita md` reads them beside these, a run's data phase takes T_0).
void read_md_dynamics(const ConfigNode& md, MdRunOptions& options);

/// Reads `md:` (friction, step_size, temperature | temperatures, n_replicas, exchange_interval,
/// minimize, minimize_tolerance, warmup_steps, n_frames, steps_per_frame) and `output:`
/// (frames_dtype, dcd, checkpoint_minutes, configurational_temperature_samples) of `root`.
/// @throws ConfigError naming the key for a value out of range, both temperature and
///         temperatures, or a ladder that is empty or not strictly increasing
MdRunOptions read_md_run_options(const ConfigNode& root);

/// The memory of a run's big parts of `n_atoms` atoms, under the keys that set them: the
/// replicas' states (md.n_replicas) and the recorded frames with their samples and torsions,
/// kept for the whole run and in the checkpoint (md.n_frames).
MemoryEstimate md_memory_estimate(const MdRunOptions& options, int64_t n_atoms);

/// What a resumed run may change (dotted keys of the resolved config): where and how fast it
/// runs, how often it checkpoints, what it derives from the frames, and how many frames it makes
/// (a finished run is extended by resuming it with more frames).
bool md_key_may_change_on_resume(const std::string& key);
/// The same keys, listed for a message.
extern const char* const kMdKeysThatMayChangeOnResume;

}  // namespace pita
