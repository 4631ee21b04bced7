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
/// @param resume_dir  a run directory to continue from its last checkpoint ("" starts afresh)
int run_train(const CommonArgs& args, const std::string& resume_dir);
int run_anneal(const CommonArgs& args);
/// The progressive loop down the ladder (`pita run`); `resume_dir` as for run_train.
int run_pipeline(const CommonArgs& args, const std::string& resume_dir);

}  // namespace pita::cli
