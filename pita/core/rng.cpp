#include "pita/core/rng.h"

#include <random>

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/core/Generator.h>
#include <ATen/detail/CUDAHooksInterface.h>

#include "pita/core/error.h"

namespace pita {

at::Generator make_generator(uint64_t seed, c10::Device device) {
    if (device.is_cpu()) return at::make_generator<at::CPUGeneratorImpl>(seed);
    if (device.is_cuda()) {
        // The CUDA generator type lives behind the hooks, so this file needs no CUDA headers.
        at::Generator gen =
            at::detail::getCUDAHooks().getDefaultCUDAGenerator(device.index()).clone();
        gen.set_current_seed(seed);
        return gen;
    }
    throw ConfigError(
        fmt::format("[rng] no random generator for device '{}': got {}; expected cpu or cuda.",
                    device.str(), device.str()));
}

void require_generator_on(const at::Generator& gen, c10::Device device, const char* who) {
    const c10::Device g = gen.device();
    const bool same = g.type() == device.type() &&
                      (!g.has_index() || !device.has_index() || g.index() == device.index());
    PITA_CHECK(same,
               "[{}] the random generator is on {}, the state on {}; expected both on one "
               "device. Make the generator for the state's device: make_generator(seed, "
               "device) (pita/core/rng.h).",
               who, g.str(), device.str());
}

uint64_t draw_seed() {
    std::random_device rd;
    return (static_cast<uint64_t>(rd()) << 32U) ^ static_cast<uint64_t>(rd());
}

uint64_t stream_seed(uint64_t seed, RandomStream stream, int64_t index) {
    switch (stream) {
        case RandomStream::Training:
            return seed;
        case RandomStream::DataSampler:
            return seed ^ 0xD1B54A32D192ED03ULL;
        case RandomStream::DataInitialisation:
            return seed ^ 0x9E3779B97F4A7C15ULL;
        case RandomStream::Annealing:
            return seed + 1000 + static_cast<uint64_t>(index);
        case RandomStream::ModelCheck:
            return seed + 2000 + static_cast<uint64_t>(index);
    }
    return seed;
}

}  // namespace pita
