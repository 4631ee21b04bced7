#pragma once
// What an MD run accumulates (its replicas and recorded frames), and the checkpoint file that
// holds exactly that plus the exchange counters and the random stream, so that a resumed run
// continues bit for bit.
#include <cstdint>
#include <string>

#include <ATen/core/Tensor.h>
#include <nlohmann/json.hpp>

#include "pita/md/langevin.h"

namespace pita {

class ReplicaExchange;

/// Everything a run accumulates; the checkpoint is exactly this. n_total = n_temperatures ·
/// n_replicas replicas, in ReplicaExchange's layout (bath-major).
struct MdRunState {
    MdState state;            ///< the replicas now, on the run's device
    int64_t frames_done = 0;  ///< frames recorded so far
    bool warmup_done = false;
    int64_t evaluations = 0;  ///< force evaluations per replica summed, after the minimisation
    double seconds = 0;       ///< dynamics wall time, summed over sessions
    at::Tensor frames;        ///< [n_frames, n_total, n_atoms, 3] nm, frames_dtype, CPU, centred
    at::Tensor t_kin;         ///< [n_frames, n_total] K, float64
    at::Tensor potential;     ///< [n_frames, n_total] kJ/mol, float64
    at::Tensor virial;        ///< [n_frames, n_total] Σ_i (x_i − x̄)·∇_i U, kJ/mol, float64
    nlohmann::json start;     ///< energies of the PDB and the minimised structure
};

/// Writes `run`, the exchange counters and `gen`'s state to `path` atomically.
/// @throws IoError when the file cannot be written
void save_md_checkpoint(const std::string& path, const MdRunState& run,
                        const ReplicaExchange& exchange, const at::Generator& gen);

/// Reads a checkpoint written by save_md_checkpoint(); restores `exchange` and `gen` from it.
/// The state's tensors come back on the CPU.
/// @throws IoError when the file is missing, damaged, of another kind or lacks an entry
MdRunState load_md_checkpoint(const std::string& path, ReplicaExchange& exchange,
                              at::Generator& gen);

}  // namespace pita
