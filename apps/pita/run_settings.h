#pragma once
// Settings every subcommand shares: seed, threads, device, dtype and where outputs go. Read from
// the config's top level; the command-line flags arrive as overrides of the same keys.
#include <cstdint>
#include <string>

#include <c10/core/Device.h>
#include <c10/core/ScalarType.h>

#include "pita/config/config.h"

namespace pita::cli {

struct RunSettings {
    uint64_t seed = 0;
    bool seed_was_drawn = false;
    int threads = 0;
    c10::Device device{c10::kCPU};
    c10::ScalarType dtype = c10::kDouble;
    std::string output_dir;
};

/// Reads seed/threads/device/dtype/output_dir; `default_stem` names the default output folder
/// runs/<stem>-<UTC timestamp>, so runs never overwrite each other. `default_dtype`: float64 for
/// samplers, float32 for networks.
RunSettings read_run_settings(const ConfigNode& root, const std::string& default_stem,
                              const std::string& default_dtype = "float64");

/// The end of `--check` (and `--print-config`): prints the resolved config as JSON when
/// `print_config`, else the plan line; returns the exit code, 0.
int finish_check(bool print_config, const Config& cfg, const std::string& plan);

/// Applies the settings (threads) and returns the command line as one string, for run.json.
std::string join_command_line(int argc, char** argv);

}  // namespace pita::cli
