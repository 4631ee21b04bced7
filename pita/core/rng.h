#pragma once
// Explicit random generators. Library code takes an at::Generator& and never touches the global
// one; only the command-line tool chooses seeds. Same seed => bitwise-identical CPU output.
#include <cstdint>

#include "pita/core/tensor_fwd.h"

namespace pita {

/// A fresh generator for `device` (CPU or CUDA), seeded with `seed`.
/// @throws ConfigError when the device type has no generator in this LibTorch build.
at::Generator make_generator(uint64_t seed, c10::Device device = c10::Device(c10::kCPU));

/// A seed from the operating system's entropy, for runs that were given none (record it!).
uint64_t draw_seed();

}  // namespace pita
