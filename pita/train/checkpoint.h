#pragma once
// Training checkpoints: one file with everything a resumed run needs to continue exactly as an
// uninterrupted one would (CPU, same thread count): both networks, both EMAs, the Adam state, the
// step count, every replay buffer (rows, temperature, β, capacity, provenance), the random
// generator's state, and a JSON record of the run (config, stage) for the caller. The file is
// LibTorch's archive format, written to a temporary name and renamed, so a kill mid-write leaves
// the previous checkpoint intact.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "pita/core/tensor_fwd.h"
#include "pita/train/replay_buffer.h"
#include "pita/train/trainer.h"

namespace pita {

/// @throws IoError when the file cannot be written.
void save_checkpoint(const std::string& path, const Trainer& trainer,
                     const std::vector<ReplayBuffer>& buffers, const at::Generator& gen,
                     const nlohmann::json& record);

/// Restores a checkpoint into a trainer built from the same configuration; `buffers` is replaced
/// by the saved ones and `gen`'s state is overwritten. @return the record given to
/// save_checkpoint().
/// @throws IoError when the file is missing or unreadable, ConfigError when it was written by a
///         different model configuration.
nlohmann::json load_checkpoint(const std::string& path, Trainer& trainer,
                               std::vector<ReplayBuffer>& buffers, at::Generator& gen);

/// A warm start (`train.init_from`): both networks and their EMAs from the checkpoint, nothing
/// else (a fresh optimiser, step 0, this run's own data and generator).
/// @throws IoError when the file is missing or unreadable, ConfigError when its networks were
///         built with another model section than `model_config` (this run's resolved `model`)
nlohmann::json load_network_weights(const std::string& path, Trainer& trainer,
                                    const nlohmann::json& model_config);

/// The record alone (to rebuild the configuration before loading).
nlohmann::json read_checkpoint_record(const std::string& path);

}  // namespace pita
