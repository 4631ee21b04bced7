#include "pita/pipeline/memory_plan.h"

#include <algorithm>

#include "pita/model/backbone_factory.h"

namespace pita {

void add_anneal_memory(MemoryEstimate& m, const AnnealStageOptions& o, int64_t n_particles,
                       int64_t spatial_dim, const nlohmann::json& backbone, int64_t float_bytes) {
    m.add("anneal.n_samples", sampler_state_bytes(o.sde.n_samples, n_particles, spatial_dim),
          "the SMC population");
    // Both networks run on one chunk at a time; the exact divergence keeps the graph for n·d
    // backward passes, the Hutchinson estimator one per probe.
    const int64_t rows = std::min(o.sde.chunk, o.sde.n_samples);
    const double floats = 2.0 * backbone_activation_floats(backbone, n_particles);
    m.add("anneal.chunk", activation_bytes(rows, floats, float_bytes),
          "network activations per chunk");
}

void add_training_memory(MemoryEstimate& m, const std::string& rows_key,
                         const std::string& batch_key, int64_t batch, int64_t max_rows,
                         int64_t n_buffers, int64_t n_particles, int64_t spatial_dim,
                         const nlohmann::json& backbone, int64_t float_bytes) {
    m.add(rows_key,
          2.0 * static_cast<double>(n_buffers) *
              stored_rows_bytes(max_rows, n_particles, spatial_dim),
          "replay buffers");
    // The training step evaluates the score network and the energy network (whose force needs
    // a second graph) on one batch.
    const double floats = 3.0 * backbone_activation_floats(backbone, n_particles);
    m.add(batch_key, activation_bytes(batch, floats, float_bytes),
          "network activations per training batch");
}

void require_memory(const MemoryEstimate& m, const std::string& command) {
    m.require_fits(available_memory_bytes(), command);
}

}  // namespace pita
