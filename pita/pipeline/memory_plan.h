#pragma once
// The memory estimate of each command's big parts (pita/core/memory_estimate.h), assembled from
// the options the command has read, so that every command checks it the same way before work.
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "pita/anneal/anneal_stage.h"
#include "pita/core/memory_estimate.h"

namespace pita {

/// The SMC population of one rung and its model evaluations per chunk (keys of `anneal:`).
void add_anneal_memory(MemoryEstimate& m, const AnnealStageOptions& o, int64_t n_particles,
                       int64_t spatial_dim, const nlohmann::json& backbone, int64_t float_bytes);

/// Replay buffers (x, log p and its gradient per row, `n_buffers` of at most `max_rows`) under
/// `rows_key`, and the activations of both networks for one batch under `batch_key`.
void add_training_memory(MemoryEstimate& m, const std::string& rows_key,
                         const std::string& batch_key, int64_t batch, int64_t max_rows,
                         int64_t n_buffers, int64_t n_particles, int64_t spatial_dim,
                         const nlohmann::json& backbone, int64_t float_bytes);

/// Refuses (ConfigError) an estimate above the available memory, naming the keys to lower.
void require_memory(const MemoryEstimate& m, const std::string& command);

}  // namespace pita
