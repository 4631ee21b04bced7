#pragma once
// One function per subcommand; each returns the process exit code.
#include <cstdint>
#include <string>
#include <vector>

namespace pita::cli {

/// What every config-driven subcommand receives from the command line.
struct CommonArgs {
    std::string config;                  ///< YAML file
    std::vector<std::string> overrides;  ///< key.sub=value, flags already folded in
    std::string command_line;            ///< for run.json
    /// `--check`: validate the config (every key, the memory estimate), print the plan and stop
    /// before any work; nothing is written.
    bool check_only = false;
    /// `--print-config`: as --check, and print the fully resolved config (defaults included) as
    /// JSON on standard output.
    bool print_config = false;
};

/// `pita evaluate`: not config-driven; it reads the target from the run directory's run.json.
struct EvaluateArgs {
    std::string run_dir;
    std::string reference;  ///< "" = the run's metrics.reference, if any
    std::string out;        ///< "" = RUN_DIR/evaluation.json
    int64_t max_samples = 2000;
    int64_t equivariant_samples = 300;
    uint64_t seed = 0;
    int threads = 0;
};

/// `pita report`: the HTML report of a `pita run` directory.
struct ReportArgs {
    std::string run_dir;
    std::string out;        ///< "" = RUN_DIR/report.html
    std::string reference;  ///< "" = the run's metrics.reference
};

int run_mcmc(const CommonArgs& args);
int run_diagnose(const CommonArgs& args);
/// @param resume_dir  a run directory to continue from its last checkpoint ("" starts afresh)
int run_train(const CommonArgs& args, const std::string& resume_dir);
int run_anneal(const CommonArgs& args);
/// `pita score-check`: a checkpoint's learned scores against the target's, per noise level.
int run_score_check(const CommonArgs& args);
/// The progressive loop down the ladder (`pita run`); `resume_dir` as for run_train.
int run_pipeline(const CommonArgs& args, const std::string& resume_dir);
int run_evaluate(const EvaluateArgs& args);
int run_report(const ReportArgs& args);
/// Langevin MD of a peptide target (`pita md`): plain or replica exchange; frames in nm,
/// force-evaluation count. `resume_dir` as for run_train.
int run_md(const CommonArgs& args, const std::string& resume_dir);

}  // namespace pita::cli
