// The progressive loop as a library component (pita/pipeline/progressive_run.h): driven through
// its API with no subprocess, it must produce exactly what `pita run` produces for the same config
// and seed, report its phases to the observer, and refuse a misconfigured key of any section
// before any work.
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "pita/config/config.h"
#include "pita/core/device.h"
#include "pita/core/error.h"
#include "pita/core/run_observer.h"
#include "pita/io/run_directory.h"
#include "pita/pipeline/progressive_run.h"
#include "support/cli_helpers.h"

namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;

/// Records what the pipeline reports.
class RecordingObserver : public pita::RunObserver {
  public:
    void progress(const std::string& phase, int64_t done, int64_t total,
                  const std::string&) override {
        last_progress[phase] = {done, total};
    }
    void phase_finished(const std::string& phase, const std::string&) override {
        finished.push_back(phase);
    }
    void message(const std::string& line) override { messages.push_back(line); }
    std::map<std::string, std::pair<int64_t, int64_t>> last_progress;
    std::vector<std::string> finished;
    std::vector<std::string> messages;
};

std::string smoke_config() { return std::string(PITA_SOURCE_DIR) + "/configs/smoke.yaml"; }

/// A short two-rung smoke run: every phase, in seconds.
std::vector<std::string> short_run_overrides(const fs::path& out) {
    return {"threads=1",
            "train.steps=30",
            "anneal.steps=10",
            "anneal.n_samples=64",
            "anneal.relax_steps=5",
            "data.warmup_steps=200",
            "data.production_steps=400",
            "metrics.equivariant_samples=0",
            std::string("metrics.reference=") + PITA_SOURCE_DIR + "/data/lj13/reference",
            "output_dir=" + out.string()};
}

std::string file_bytes(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

class ProgressiveRunTest : public pita::testing::ScratchDirTest {};

TEST_F(ProgressiveRunTest, LibraryRunEqualsTheCommandLineRunBitForBit) {
    if (PITA_SANITIZED != 0) GTEST_SKIP() << "two whole runs; the Release stage runs it";
    const fs::path lib_dir = dir_ / "library";
    pita::Config cfg = pita::Config::load_file(smoke_config(), short_run_overrides(lib_dir));
    pita::ProgressiveRunPlan plan = pita::read_progressive_run_plan(cfg.root(), "smoke-run");
    cfg.finish();
    pita::RunInvocation invocation;
    invocation.resolved_config = cfg.resolved();
    // As the command line does: threads=1 (LibTorch's results depend on the thread count).
    invocation.threads = pita::set_threads(cfg.root().get_int("threads", 0));
    const pita::RunDirectory dir = pita::RunDirectory::create(lib_dir.string());
    RecordingObserver observer;
    const nlohmann::json metrics = pita::run_progressive(plan, dir, invocation, observer);
    pita::set_threads(0);  // back to the default for the other tests

    // The command-line run also runs the γ = 1 regeneration check after its training stage
    // (metrics.regeneration_samples): a model check on its own random stream, which must leave
    // every sample and every count of the run as it is.
    std::string cli = std::string(PITA_BINARY) + " run " + smoke_config();
    for (const std::string& o : short_run_overrides(dir_ / "cli")) cli += " '" + o + "'";
    const pita::testing::Outcome o =
        pita::testing::run_command(cli + " metrics.regeneration_samples=32");
    ASSERT_EQ(o.exit_code, 0) << o.output;
    EXPECT_THAT(o.output, HasSubstr("regenerate T=4 (γ = 1)"));
    EXPECT_THAT(o.output, HasSubstr("against the run's own samples: energy-W1"));
    EXPECT_TRUE(fs::exists(dir_ / "cli/data/T4/regeneration/samples.npy"));
    EXPECT_FALSE(fs::exists(lib_dir / "data/T4/regeneration"));

    for (const char* f :
         {"data/T4/samples.npy", "data/T4/energies.npy", "T3/samples.npy", "T3/energies.npy",
          "T3/before_relaxation/samples.npy", "T3/diagnostics.csv"}) {
        ASSERT_TRUE(fs::exists(lib_dir / f)) << f;
        EXPECT_TRUE(file_bytes(lib_dir / f) == file_bytes(dir_ / "cli" / f)) << f << " differs";
    }
    const nlohmann::json cli_metrics =
        nlohmann::json::parse(std::ifstream(dir_ / "cli" / "metrics.json"));
    EXPECT_EQ(metrics["energy_evaluations"], cli_metrics["energy_evaluations"]);
    EXPECT_EQ(metrics["temperatures"][1]["energy_w2"], cli_metrics["temperatures"][1]["energy_w2"]);
    EXPECT_EQ(metrics["training_steps"], 30);
    // The check's record: 32 samples at T = 4 scored against the run's own data there.
    ASSERT_TRUE(cli_metrics["temperatures"][0].contains("regeneration"));
    const nlohmann::json& check = cli_metrics["temperatures"][0]["regeneration"];
    EXPECT_EQ(check["source"], "regenerated");
    EXPECT_EQ(check["samples"], 32);
    EXPECT_EQ(check["compared_with"], "data/T4");
    EXPECT_EQ(check["temperature"], 4.0);
    EXPECT_GT(check["energy_evaluations"].get<int64_t>(), 0);  // its own, not the sampler's
    EXPECT_TRUE(check["energy_w1"].is_number());
    EXPECT_FALSE(metrics["temperatures"][0].contains("regeneration"));

    // Every phase reported its progress to the end, and the results as lines.
    EXPECT_EQ(observer.last_progress["train T=4"], (std::pair<int64_t, int64_t>{30, 30}));
    EXPECT_EQ(observer.last_progress["anneal T=4→3"], (std::pair<int64_t, int64_t>{10, 10}));
    EXPECT_TRUE(observer.last_progress.count("data production"));
    EXPECT_THAT(observer.finished, ::testing::Contains("train T=4"));
    ASSERT_GE(observer.messages.size(), 3u);
    EXPECT_THAT(observer.messages[1], HasSubstr("data: 640 MALA samples at T = 4"));
}

TEST_F(ProgressiveRunTest, ARegenerationCheckEnabledOnResumeUsesEachStagesOwnNetworks) {
    if (PITA_SANITIZED != 0) GTEST_SKIP() << "three whole runs; the Release stage runs it";
    // Two stages: when the check is enabled on a resume of the finished run (metrics.* may
    // change), the trainer holds stage 1's networks; stage 0's check must use stage 0's
    // (train/stage0.pt), and give the samples of a run that had the check from the start.
    auto run = [&](const fs::path& out, const std::string& extra) {
        std::string cli = std::string(PITA_BINARY) + " run " + smoke_config() + " 'ladder=[4,3,2]'";
        for (const std::string& o : short_run_overrides(out)) cli += " '" + o + "'";
        return pita::testing::run_command(cli + " " + extra);
    };
    const pita::testing::Outcome with = run(dir_ / "with", "metrics.regeneration_samples=16");
    ASSERT_EQ(with.exit_code, 0) << with.output;
    const pita::testing::Outcome without = run(dir_ / "later", "");
    ASSERT_EQ(without.exit_code, 0) << without.output;
    EXPECT_FALSE(fs::exists(dir_ / "later/data/T4/regeneration"));
    const pita::testing::Outcome resumed = run(
        dir_ / "later", "metrics.regeneration_samples=16 --resume " + (dir_ / "later").string());
    ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
    for (const char* f : {"data/T4/regeneration/samples.npy", "T3/regeneration/samples.npy"}) {
        ASSERT_TRUE(fs::exists(dir_ / "later" / f)) << f << "\n" << resumed.output;
        EXPECT_TRUE(file_bytes(dir_ / "later" / f) == file_bytes(dir_ / "with" / f)) << f;
    }
    // The check changed nothing else: the final samples are the same with and without it.
    EXPECT_TRUE(file_bytes(dir_ / "later/T2/samples.npy") ==
                file_bytes(dir_ / "with/T2/samples.npy"));
}

TEST_F(ProgressiveRunTest, APlanReadsEverySectionAndResolvesTheStageSchedule) {
    pita::Config cfg = pita::Config::load_file(
        smoke_config(), {"ladder=[4.0,3.0,2.0]", "train.stage_steps=[7,9]",
                         "metrics.reference=", "output_dir=" + (dir_ / "never").string()});
    const pita::ProgressiveRunPlan plan = pita::read_progressive_run_plan(cfg.root(), "x");
    cfg.finish();
    EXPECT_EQ(plan.options.ladder, (std::vector<double>{4.0, 3.0, 2.0}));
    EXPECT_EQ(plan.options.training.steps_of_stage(1), 9);
    EXPECT_EQ(plan.options.training.step_at_end_of_stage(1), 16);
    EXPECT_EQ(plan.options.data.kept_rows(), 64 * 40);
    EXPECT_EQ(plan.options.anneal.sde.steps, 40);
    EXPECT_EQ(plan.options.settings.seed, 7u);
    EXPECT_GT(pita::estimate_progressive_run_memory(plan).total_bytes(), 0.0);
    EXPECT_FALSE(fs::exists(dir_ / "never"));  // reading a plan writes nothing
}

TEST(ProgressiveRunResume, OnlyWhereHowFastMetricsAndNotYetUsedAnnealKeysMayChange) {
    using pita::progressive_run_may_change_on_resume;
    for (const char* k : {"threads", "device", "output_dir", "metrics.max_samples"})
        EXPECT_TRUE(progressive_run_may_change_on_resume(k, true)) << k;
    EXPECT_TRUE(progressive_run_may_change_on_resume("anneal.steps", false));
    EXPECT_FALSE(progressive_run_may_change_on_resume("anneal.steps", true));
    for (const char* k : {"seed", "train.learning_rate", "data.n_chains", "model.hidden", "ladder"})
        EXPECT_FALSE(progressive_run_may_change_on_resume(k, false)) << k;
}

// One misconfigured key per section of a `pita run` config: `pita run --check` refuses it before
// any work and names the key.
struct BadKey {
    const char* override_;
    const char* named;
};

class RunCheckRefuses : public pita::testing::ScratchDirTest,
                        public ::testing::WithParamInterface<BadKey> {};

TEST_P(RunCheckRefuses, AMisconfiguredKeyOfEverySection) {
    const BadKey bad = GetParam();
    const pita::testing::Outcome o =
        pita::testing::run_pita("run " + smoke_config() + " --check metrics.reference= '" +
                                bad.override_ + "' --out " + (dir_ / "never").string());
    EXPECT_EQ(o.exit_code, 2) << o.output;
    EXPECT_THAT(o.output, HasSubstr(bad.named)) << o.output;
    EXPECT_FALSE(fs::exists(dir_ / "never"));
}

INSTANTIATE_TEST_SUITE_P(
    EverySection, RunCheckRefuses,
    ::testing::Values(BadKey{"seed=-5", "seed"}, BadKey{"threads=-1", "threads"},
                      BadKey{"device=tpu", "device"}, BadKey{"dtype=float16", "dtype"},
                      BadKey{"ladder=[3.0,4.0]", "ladder"},
                      BadKey{"energy.n_particles=0", "energy.n_particles"},
                      BadKey{"data.thin=0", "data.thin"}, BadKey{"data.n_chain=4", "data.n_chain"},
                      BadKey{"schedule.sigma_min=-1", "schedule.sigma_min"},
                      BadKey{"model.hidden=0", "model.hidden"},
                      BadKey{"train.steps=0", "train.steps"},
                      BadKey{"train.learning_rate=-1", "train.learning_rate"},
                      BadKey{"anneal.steps=0", "anneal.steps"},
                      BadKey{"anneal.energy_mask_threshold=0", "anneal.energy_mask_threshold"},
                      BadKey{"metrics.max_samples=0", "metrics.max_samples"}));

}  // namespace
