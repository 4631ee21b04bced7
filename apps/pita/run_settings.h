#pragma once
// What every subcommand prints at the end of `--check`, and the command line for run.json. The
// settings themselves (seed, threads, device, dtype, output) are the library's
// (pita/config/run_settings.h).
#include <string>

#include "pita/config/config.h"
#include "pita/config/run_settings.h"

namespace pita::cli {

/// The end of `--check` (and `--print-config`): prints the resolved config as JSON when
/// `print_config`, else the plan line; returns the exit code, 0.
int finish_check(bool print_config, const Config& cfg, const std::string& plan);

/// The command line as one string, for run.json.
std::string join_command_line(int argc, char** argv);

}  // namespace pita::cli
