#pragma once
// Explicit random generators. Library code takes an at::Generator& and never touches the global
// one; only the command-line tool chooses seeds. Same seed => bitwise-identical CPU output.
#include <cstdint>

#include "pita/core/tensor_fwd.h"

namespace pita {

/// A fresh generator for `device` (CPU or CUDA), seeded with `seed`.
/// @throws ConfigError when the device type has no generator in this LibTorch build.
at::Generator make_generator(uint64_t seed, c10::Device device = c10::Device(c10::kCPU));

/// The device policy of every sampler: its noise is drawn on the device of the state it moves,
/// from a generator made for that device (make_generator(seed, device)); host-side decisions
/// (replica swaps, the training buffer) draw on the generator's device and copy the numbers back.
/// Each sampler calls this before its first draw, so that a generator of another device is one
/// clear error naming both instead of an ATen failure deep inside a step.
/// @param who  the sampler, for the message ("mala", "langevin", "anneal", ...)
/// @throws ConfigError when `gen` belongs to another device than `device` (a CUDA device without
///         an index matches every CUDA generator)
void require_generator_on(const at::Generator& gen, c10::Device device, const char* who);

/// The named random streams of a run. Each is derived from the run's one seed, so a run is
/// reproduced by its seed alone and no two streams share a sequence:
///   Training            the seed itself (batches, noise levels, rotations; the trainer's)
///   DataSampler         seed ^ 0xD1B54A32D192ED03 (MCMC or MD of the data phase)
///   DataInitialisation  seed ^ 0x9E3779B97F4A7C15 (starting configurations; always on the CPU)
///   Annealing           seed + 1000 + index (rung `index` of the ladder: SDE, SMC, relaxation)
///   ModelCheck          seed + 2000 + index (the γ = 1 regeneration check after stage `index`)
/// A generator for a stream is make_generator(stream_seed(seed, stream, i), device) on the
/// device of the state it moves (require_generator_on).
enum class RandomStream { Training, DataSampler, DataInitialisation, Annealing, ModelCheck };

/// The seed of `stream` (see RandomStream); `index` numbers the rungs of Annealing.
uint64_t stream_seed(uint64_t seed, RandomStream stream, int64_t index = 0);

/// A seed from the operating system's entropy, for runs that were given none (record it!).
uint64_t draw_seed();

}  // namespace pita
