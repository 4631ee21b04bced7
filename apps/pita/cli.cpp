#include "cli.h"

#include <cstdint>
#include <iostream>
#include <limits>

#include <CLI/CLI.hpp>

#include "commands.h"
#include "pita/core/version.h"
#include "run_settings.h"

namespace pita::cli {

namespace {

// Integer ranges: CLI11's NonNegativeNumber would print its upper end, DBL_MAX, as 309 digits.
const CLI::Range kThreads(0, 4096);
const CLI::Range kSeed(int64_t{0}, std::numeric_limits<int64_t>::max());

// Options shared by config-driven subcommands. Flags are folded into overrides, so a flag and
// `key=value` mean the same thing and both land in the resolved config of run.json.
struct SharedOptions {
    std::string config;
    std::vector<std::string> overrides;
    std::string out;
    std::string device;
    int threads = -1;
    int64_t seed = -1;
    bool check = false;
    bool print_config = false;
};

void add_shared_options(CLI::App* cmd, SharedOptions& o) {
    cmd->add_option("config", o.config, "YAML config file (see configs/)")
        ->required()
        ->check(CLI::ExistingFile);
    cmd->add_option("overrides", o.overrides,
                    "Hydra-style overrides, e.g. mcmc.n_chains=128 energy.n_particles=55");
    cmd->add_option("-o,--out", o.out, "Output directory (default: runs/<config>-<time>)");
    cmd->add_option("--device", o.device, "cpu, cuda or cuda:N (default: config, else cpu)");
    cmd->add_option("--threads", o.threads, "CPU threads; 0 = all cores (default: config, else 0)")
        ->check(kThreads);
    cmd->add_option("--seed", o.seed, "Random seed (default: config, else drawn and recorded)")
        ->check(kSeed);
    cmd->add_flag("--check", o.check,
                  "Validate the config (every key, the memory it needs) and print the plan; run "
                  "nothing, write nothing");
    cmd->add_flag("--print-config", o.print_config,
                  "As --check, then print the resolved config (every key with the value used, "
                  "defaults included) as JSON");
}

CommonArgs to_common(const SharedOptions& o, const std::string& command_line) {
    CommonArgs a{o.config, o.overrides, command_line, o.check || o.print_config, o.print_config};
    if (!o.out.empty()) a.overrides.push_back("output_dir=" + o.out);
    if (!o.device.empty()) a.overrides.push_back("device=" + o.device);
    if (o.threads >= 0) a.overrides.push_back("threads=" + std::to_string(o.threads));
    if (o.seed >= 0) a.overrides.push_back("seed=" + std::to_string(o.seed));
    return a;
}

}  // namespace

int run(int argc, char** argv) {
    CLI::App app{"pita: Boltzmann sampling by Progressive Inference-Time Annealing"};
    app.set_version_flag("--version", version() + " (" + git_hash() + ")");
    app.require_subcommand(1);

    SharedOptions mcmc_opts;
    CLI::App* mcmc = app.add_subcommand(
        "mcmc", "MALA or parallel-tempering samples of a target (training data, references)");
    add_shared_options(mcmc, mcmc_opts);

    SharedOptions diag_opts;
    CLI::App* diagnose = app.add_subcommand(
        "diagnose", "Check a target's forces against finite differences and float32 vs float64");
    add_shared_options(diagnose, diag_opts);

    SharedOptions train_opts;
    std::string resume_dir;
    CLI::App* train = app.add_subcommand(
        "train", "Train the score and energy models on a .npy dataset at one temperature");
    add_shared_options(train, train_opts);
    train
        ->add_option("--resume", resume_dir,
                     "Continue the run in this directory from its last checkpoint (same config)")
        ->check(CLI::ExistingDirectory);

    SharedOptions anneal_opts;
    CLI::App* anneal = app.add_subcommand(
        "anneal", "Samples at a lower temperature from a training checkpoint (weighted SDE + SMC)");
    add_shared_options(anneal, anneal_opts);

    SharedOptions score_check_opts;
    CLI::App* score_check = app.add_subcommand(
        "score-check",
        "Both networks' scores of a checkpoint against the target's forces, per noise level");
    add_shared_options(score_check, score_check_opts);

    SharedOptions run_opts;
    std::string run_resume_dir;
    CLI::App* run_cmd = app.add_subcommand(
        "run", "The whole PITA loop: MCMC data, then train and anneal down the temperature ladder");
    add_shared_options(run_cmd, run_opts);
    run_cmd
        ->add_option("--resume", run_resume_dir,
                     "Continue the run in this directory after its last completed phase")
        ->check(CLI::ExistingDirectory);

    SharedOptions md_opts;
    CLI::App* md = app.add_subcommand(
        "md",
        "Langevin MD of a peptide target (minimise, then batched replicas, or replica exchange "
        "over md.temperatures; frames in nm)");
    add_shared_options(md, md_opts);
    std::string md_resume_dir;
    md->add_option("--resume", md_resume_dir,
                   "Continue the run in this directory from its last checkpoint (same config)")
        ->check(CLI::ExistingDirectory);

    EvaluateArgs eval_args;
    CLI::App* evaluate = app.add_subcommand(
        "evaluate", "Score the samples of a pita mcmc / pita run directory against references");
    evaluate->add_option("run_dir", eval_args.run_dir, "Directory written by pita mcmc or pita run")
        ->required()
        ->check(CLI::ExistingDirectory);
    evaluate->add_option("--reference", eval_args.reference,
                         "Reference root holding T<temp>/samples.npy (default: the run's "
                         "metrics.reference)");
    evaluate->add_option("-o,--out", eval_args.out,
                         "Output JSON (default: RUN_DIR/evaluation.json)");
    evaluate
        ->add_option("--max-samples", eval_args.max_samples,
                     "Subsample both sets to at most this many rows")
        ->check(CLI::Range(int64_t{1}, int64_t{100000000}));
    evaluate
        ->add_option("--equivariant-samples", eval_args.equivariant_samples,
                     "Rows per set for the equivariant W2 (0 = skip)")
        ->check(CLI::Range(int64_t{0}, int64_t{100000}));
    evaluate->add_option("--seed", eval_args.seed, "Seed of the subsampling");
    evaluate->add_option("--threads", eval_args.threads, "CPU threads; 0 = all cores")
        ->check(kThreads);

    ReportArgs report_args;
    CLI::App* report = app.add_subcommand(
        "report",
        "Write a run's report: one self-contained HTML file (metrics, histograms against the "
        "reference, Ramachandran maps, SMC diagnostics, losses, cost, config)");
    // Not CLI11's ExistingDirectory: a path that is not a run gets pita's message and exit 2.
    report->add_option("run_dir", report_args.run_dir, "Directory written by pita run")->required();
    report->add_option("-o,--out", report_args.out, "Output HTML (default: RUN_DIR/report.html)");
    report->add_option("--reference", report_args.reference,
                       "Reference root holding T<temp>/samples.npy (default: the run's "
                       "metrics.reference)");

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }
    const std::string line = join_command_line(argc, argv);
    if (mcmc->parsed()) return run_mcmc(to_common(mcmc_opts, line));
    if (diagnose->parsed()) return run_diagnose(to_common(diag_opts, line));
    if (train->parsed()) return run_train(to_common(train_opts, line), resume_dir);
    if (anneal->parsed()) return run_anneal(to_common(anneal_opts, line));
    if (score_check->parsed()) return run_score_check(to_common(score_check_opts, line));
    if (run_cmd->parsed()) return run_pipeline(to_common(run_opts, line), run_resume_dir);
    if (evaluate->parsed()) return run_evaluate(eval_args);
    if (report->parsed()) return run_report(report_args);
    if (md->parsed()) return run_md(to_common(md_opts, line), md_resume_dir);
    return 1;
}

}  // namespace pita::cli
