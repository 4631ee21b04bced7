#pragma once
// Turning samples of a target into training rows: (x, log p_T(x), ∇log p_T(x)) with the energy
// recomputed by the target itself (spec §4.5: the reference recomputes too), so a dataset file
// needs nothing but coordinates.
#include <string>

#include <c10/core/TensorOptions.h>

#include "pita/core/tensor_fwd.h"
#include "pita/energy/energy.h"
#include "pita/train/replay_buffer.h"

namespace pita {

/// Checks that `samples` fit `energy` and reshapes them to [m, n, d].
/// @param samples  [m, n, d] or [m, n·d] (a flat layout, as some tools write)
/// @param source   where the samples came from, named in error messages (e.g. a file path)
/// @throws ConfigError naming `source` on a shape that does not fit the target, an empty set, or
///         a row with NaN/inf coordinates (the first such row is named).
at::Tensor check_samples(const at::Tensor& samples, const Energy& energy,
                         const std::string& source);

/// A buffer of `samples` at `temperature`: log p = −E/T and ∇log p = F/T, evaluated in float64
/// in chunks (counted by `energy`), stored with `options` (dtype and device of training). Rows
/// whose energy is not finite are an error naming the first one (a dataset should never hold them).
/// @param max_length  capacity; when `samples` has more rows, the last max_length are kept
ReplayBuffer make_buffer(const Energy& energy, const at::Tensor& samples, double temperature,
                         double beta, int64_t max_length, const std::string& provenance,
                         at::TensorOptions options, const std::string& source);

}  // namespace pita
