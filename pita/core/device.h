#pragma once
// Explicit device and thread handling. Nothing in pita picks a device on its own: the caller
// parses one (from --device or config) and passes it down.
#include <string>

#include "pita/core/tensor_fwd.h"

namespace pita {

/// Parses "cpu", "cuda" or "cuda:N" and checks that this build and machine can use it.
/// @throws ConfigError naming the problem and the fix (e.g. a CPU-only LibTorch).
c10::Device parse_device(const std::string& name);

/// Whether this LibTorch build sees at least one CUDA device.
bool cuda_available();

/// Sets LibTorch's intra-op threads; n <= 0 means every hardware thread. Returns the number set.
/// (Debian's LibTorch defaults to 1 thread on these machines: docs/TOOLCHAIN.md.)
int set_threads(int n);

}  // namespace pita
