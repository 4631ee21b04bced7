#pragma once
// One function per subcommand; each returns the process exit code.
#include <string>
#include <vector>

namespace pita::cli {

/// What every config-driven subcommand receives from the command line.
struct CommonArgs {
    std::string config;                  ///< YAML file
    std::vector<std::string> overrides;  ///< key.sub=value, flags already folded in
    std::string command_line;            ///< for run.json
};

int run_mcmc(const CommonArgs& args);
int run_diagnose(const CommonArgs& args);

}  // namespace pita::cli
