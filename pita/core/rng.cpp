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

uint64_t draw_seed() {
    std::random_device rd;
    return (static_cast<uint64_t>(rd()) << 32U) ^ static_cast<uint64_t>(rd());
}

}  // namespace pita
