#include "pita/core/device.h"

#include <thread>

#include <ATen/Context.h>
#include <ATen/Parallel.h>

#include "pita/core/error.h"

namespace pita {

bool cuda_available() { return at::globalContext().hasCUDA(); }

c10::Device parse_device(const std::string& name) {
    c10::Device device(c10::kCPU);
    try {
        device = c10::Device(name);
    } catch (const std::exception&) {
        throw ConfigError(
            fmt::format("[device] unknown device: got '{}'; expected cpu, cuda or cuda:N.", name));
    }
    PITA_CHECK(device.is_cpu() || device.is_cuda(),
               "[device] unsupported device: got '{}'; expected cpu, cuda or cuda:N.", name);
    if (device.is_cuda()) {
        PITA_CHECK(
            cuda_available(),
            "[device] '{}' requested, but this build of pita sees no CUDA device: got a "
            "CPU-only LibTorch or no GPU; expected a CUDA LibTorch and a visible GPU. Rebuild "
            "with -DCMAKE_PREFIX_PATH=$(python3 -c 'import torch; "
            "print(torch.utils.cmake_prefix_path)') or use --device cpu.",
            name);
    }
    return device;
}

int set_threads(int n) {
    if (n <= 0) n = static_cast<int>(std::max(1U, std::thread::hardware_concurrency()));
    at::set_num_threads(n);
    return n;
}

}  // namespace pita
