#pragma once
// The mean-free subspace of particle systems (spec §4.4): configurations with zero unweighted
// centroid. Translation-invariant targets are sampled there, so noise and moves are projected.
#include "pita/core/tensor_fwd.h"

namespace pita {

/// x − mean over particles. @param x [batch, n_particles, spatial_dim] @return same shape
at::Tensor remove_mean(const at::Tensor& x);

}  // namespace pita
