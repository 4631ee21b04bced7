#pragma once
// Haar-uniform random rotations of SO(3), for training-time augmentation of particle systems
// (spec §4.2 step 3: one rotation per sample, applied to positions and forces alike).
#include "pita/core/tensor_fwd.h"

namespace pita {

/// @return [n, 3, 3] rotation matrices (det +1), uniform on SO(3) (unit quaternions, Shoemake).
at::Tensor random_rotations(int64_t n, at::Generator& gen, const at::TensorOptions& options);

/// Rotates every particle of each configuration by its matrix: x [B, n, 3], r [B, 3, 3].
at::Tensor rotate(const at::Tensor& x, const at::Tensor& r);

}  // namespace pita
