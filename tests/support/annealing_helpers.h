#pragma once
// Shared by the annealing oracle tests (statistical and validation tiers).
#include "pita/anneal/annealer.h"

namespace pita::testing {

/// Options for annealing a flat (non-particle) density of dimension `dim`, one chunk.
inline AnnealOptions options_for(int64_t dim, double gamma, int64_t n, int64_t steps) {
    AnnealOptions o;
    o.gamma = gamma;
    o.n_samples = n;
    o.n_particles = 1;
    o.spatial_dim = dim;
    o.particle_system = false;
    o.steps = steps;
    o.chunk = n;
    return o;
}

}  // namespace pita::testing
