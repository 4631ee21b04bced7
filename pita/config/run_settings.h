#pragma once
// Settings every pipeline shares: seed, threads, device, dtype and where outputs go. Read from
// the config's top level; the command-line flags arrive as overrides of the same keys.
#include <cstdint>
#include <string>

#include <c10/core/Device.h>
#include <c10/core/ScalarType.h>

#include "pita/config/config.h"

namespace pita {

struct RunSettings {
    uint64_t seed = 0;
    bool seed_was_drawn = false;  ///< `seed: -1` (the default): drawn, and recorded in run.json
    int threads = 0;              ///< 0: LibTorch's default
    c10::Device device{c10::kCPU};
    c10::ScalarType dtype = c10::kDouble;
    std::string output_dir;
};

/// Reads seed/threads/device/dtype/output_dir; `default_stem` names the default output folder
/// runs/<stem>-<UTC timestamp>, so runs never overwrite each other. `default_dtype`: float64 for
/// samplers, float32 for networks.
RunSettings read_run_settings(const ConfigNode& root, const std::string& default_stem,
                              const std::string& default_dtype = "float64");

}  // namespace pita
