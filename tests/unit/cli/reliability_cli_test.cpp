// Regression tests of issue 12 (reliability), one per finding, through the `pita` binary: what a
// user types, the exit code and the message they get. Numbers in the names are the issue's.
#include <sys/file.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/cli_helpers.h"

namespace {

using ::testing::HasSubstr;
using ::testing::Not;
namespace fs = std::filesystem;

using pita::testing::Outcome;
using pita::testing::run_command;
using pita::testing::run_pita;

const std::string kSource = PITA_SOURCE_DIR;

/// configs/smoke.yaml cut down to seconds: every phase of `pita run`, no reference metrics.
std::string tiny_run(const std::string& extra) {
    return "run " + kSource +
           "/configs/smoke.yaml threads=1 data.n_chains=8 data.warmup_steps=20 "
           "data.production_steps=40 data.thin=10 train.steps=6 train.batch_size=16 "
           "train.checkpoint_every=3 anneal.n_samples=16 anneal.steps=4 anneal.relax_steps=0 "
           "metrics.reference= metrics.equivariant_samples=0 " +
           extra;
}

/// `pita train` on the MCMC samples of a tiny run, a few steps.
std::string tiny_train(const fs::path& samples, const std::string& extra) {
    return "train " + kSource + "/configs/lj13-train.yaml data.samples=" + samples.string() +
           " train.steps=4 train.batch_size=8 train.checkpoint_every=2 threads=1 seed=3 " + extra;
}

nlohmann::json json_at(const fs::path& p) { return nlohmann::json::parse(std::ifstream(p)); }

bool has_temporary_files(const fs::path& dir) {
    for (const auto& e : fs::recursive_directory_iterator(dir))
        if (e.path().extension() == ".tmp") return true;
    return false;
}

class ReliabilityCliTest : public pita::testing::ScratchDirTest {
  protected:
    /// The MCMC samples of one tiny run, made once per test that needs data.
    fs::path make_samples() {
        const Outcome o = run_pita(tiny_run("--out " + (dir_ / "data-run").string()));
        EXPECT_EQ(o.exit_code, 0) << o.output;
        return dir_ / "data-run/data/T4/samples.npy";
    }
};

// 3. Every backbone the config accepts builds what it names, end to end: `pita train` records
// the network it built in run.json, and `pita run --check` names it.
TEST_F(ReliabilityCliTest, Finding3EveryBackboneBuildsWhatItNames) {
    if (PITA_SANITIZED != 0)
        GTEST_SKIP() << "whole runs: minutes under ASan; run in the Release build";
    const fs::path samples = make_samples();
    // A config without backbone-specific keys, so that each backbone's own keys come from the
    // command line (and the tiny run's model section holds only backbone-neutral keys too).
    const fs::path config = dir_ / "train.yaml";
    std::ofstream(config) << "energy: {type: lennard_jones, n_particles: 13}\n"
                             "data: {temperature: 4.0}\nschedule: {sigma_min: 0.05}\n"
                             "train: {steps: 2, batch_size: 8}\n";
    // configs/smoke.yaml without its EGNN-only key.
    const fs::path run_config = dir_ / "run.yaml";
    {
        std::ifstream in(kSource + "/configs/smoke.yaml");
        std::ofstream out(run_config);
        for (std::string line; std::getline(in, line);)
            if (line.find("n_layers") == std::string::npos) out << line << '\n';
    }
    for (const std::string kind : {"egnn", "mlp", "dit"}) {
        const std::string sizes =
            kind == "dit" ? " model.hidden=8 model.n_heads=2 model.n_blocks=1 model.cond_dim=4"
                          : " model.hidden=8";
        const fs::path out = dir_ / ("train-" + kind);
        const Outcome o =
            run_pita("train " + config.string() + " data.samples=" + samples.string() +
                     " threads=1 seed=1 model.backbone=" + kind + sizes + " --out " + out.string());
        ASSERT_EQ(o.exit_code, 0) << kind << "\n" << o.output;
        EXPECT_EQ(json_at(out / "run.json")["model"]["type"], kind);
        const Outcome check =
            run_pita("run " + run_config.string() + " metrics.reference=" + kSource +
                     "/data/lj13/reference model.backbone=" + kind + sizes + " --check");
        ASSERT_EQ(check.exit_code, 0) << check.output;
        EXPECT_THAT(check.output, HasSubstr(" · " + kind + " (")) << check.output;
    }
}

// 4 and 5. A run's stage checkpoints anneal with `pita anneal`, and a resume refuses a changed
// model option (the whole resolved config is compared and recorded).
TEST_F(ReliabilityCliTest, Finding4And5StageCheckpointsAnnealAndModelChangesAreRefused) {
    if (PITA_SANITIZED != 0)
        GTEST_SKIP() << "whole runs: minutes under ASan; run in the Release build";
    const fs::path run = dir_ / "run";
    const Outcome o = run_pita(tiny_run("--out " + run.string()));
    ASSERT_EQ(o.exit_code, 0) << o.output;
    const Outcome a =
        run_pita("anneal " + kSource + "/configs/smoke.yaml threads=1 anneal.checkpoint=" +
                 (run / "train/stage0.pt").string() +
                 " anneal.temperature=3 anneal.n_samples=8 anneal.steps=3 --out " +
                 (dir_ / "anneal").string());
    ASSERT_EQ(a.exit_code, 0) << a.output;
    EXPECT_TRUE(fs::exists(dir_ / "anneal/T3/samples.npy"));
    // anneal.fix_mirrored and anneal.l_form_only mean something only for a chiral molecule:
    // refused for LJ, in `pita anneal` and (below) in `pita run`.
    for (const std::string key : {"fix_mirrored", "l_form_only"}) {
        const Outcome refused =
            run_pita("anneal " + kSource + "/configs/smoke.yaml threads=1 anneal.checkpoint=" +
                     (run / "train/stage0.pt").string() + " anneal.temperature=3 anneal." + key +
                     "=true --out " + (dir_ / key).string());
        EXPECT_EQ(refused.exit_code, 2) << refused.output;
        EXPECT_THAT(refused.output, HasSubstr(key + ": the target has no chirality centres"));
    }
    const Outcome run_l_only = run_pita(tiny_run("anneal.l_form_only=true --check"));
    EXPECT_EQ(run_l_only.exit_code, 2) << run_l_only.output;
    EXPECT_THAT(run_l_only.output, HasSubstr("l_form_only: the target has no chirality centres"));
    // An energy network that no loss trains is its random initialisation: refused wherever an
    // anneal would read it, in `pita run` before any work and in `pita anneal` from a checkpoint
    // trained so. score_only without the end correction reads none: accepted.
    const std::string untrained = "train.losses.energy_score=0 train.losses.energy_matching=0 ";
    const Outcome run_untrained = run_pita(tiny_run(untrained + "--check"));
    EXPECT_EQ(run_untrained.exit_code, 2) << run_untrained.output;
    EXPECT_THAT(run_untrained.output, HasSubstr("energy_score: no loss trains the energy network"));
    EXPECT_THAT(run_untrained.output, HasSubstr("reads it (tempering_weight: energy)"));
    const fs::path score_only = dir_ / "score-only";
    const Outcome so = run_pita(tiny_run(untrained +
                                         "anneal.tempering_weight=score_only "
                                         "anneal.correct_to_target=false --out " +
                                         score_only.string()));
    ASSERT_EQ(so.exit_code, 0) << so.output;
    const Outcome reads_u =
        run_pita("anneal " + kSource + "/configs/smoke.yaml threads=1 anneal.checkpoint=" +
                 (score_only / "train/stage0.pt").string() + " anneal.temperature=3 --out " +
                 (dir_ / "reads-u").string());
    EXPECT_EQ(reads_u.exit_code, 2) << reads_u.output;
    EXPECT_THAT(reads_u.output, HasSubstr("no loss trains the energy network"));
    EXPECT_THAT(reads_u.output, HasSubstr("reads it (tempering_weight: energy)"));
    EXPECT_FALSE(fs::exists(dir_ / "reads-u"));
    for (const std::string change :
         {"model.coords_range=3", "model.tanh=false", "model.hidden=8"}) {
        const Outcome r = run_pita(tiny_run(change + " --resume " + run.string()));
        EXPECT_EQ(r.exit_code, 2) << change << "\n" << r.output;
        EXPECT_THAT(r.output, HasSubstr(change.substr(0, change.find('=')))) << r.output;
    }
}

// 6. One owner per output directory.
TEST_F(ReliabilityCliTest, Finding6ARunDirectoryHasOneOwner) {
    if (PITA_SANITIZED != 0)
        GTEST_SKIP() << "whole runs: minutes under ASan; run in the Release build";
    const fs::path out = dir_ / "run";
    // Held by another process: refused, naming its PID.
    fs::create_directories(out);
    const Outcome held = run_command("flock " + (out / ".pita.lock").string() + " -c 'echo pid " +
                                     "$$ > " + (out / ".pita.lock").string() + "; " + PITA_BINARY +
                                     " " + tiny_run("--out " + out.string()) + "'");
    EXPECT_EQ(held.exit_code, 2) << held.output;
    EXPECT_THAT(held.output, HasSubstr("is in use by another pita process (PID "));
    EXPECT_FALSE(fs::exists(out / "run.json"));

    // A finished run's directory is not reused without --resume.
    ASSERT_EQ(run_pita(tiny_run("--out " + out.string())).exit_code, 0);
    const Outcome again = run_pita(tiny_run("--out " + out.string()));
    EXPECT_EQ(again.exit_code, 2) << again.output;
    EXPECT_THAT(again.output, HasSubstr("already holds"));
    EXPECT_THAT(again.output, HasSubstr("--resume " + out.string()));

    // A resume cannot move the run.
    const Outcome moved =
        run_pita(tiny_run("--resume " + out.string() + " --out " + (dir_ / "elsewhere").string()));
    EXPECT_EQ(moved.exit_code, 2) << moved.output;
    EXPECT_THAT(moved.output, HasSubstr("a resumed run continues in its own directory"));
    EXPECT_FALSE(fs::exists(dir_ / "elsewhere"));

    // Temporary files a killed run left behind are removed when the run resumes.
    std::ofstream(out / "train/checkpoint.pt.999999.tmp") << "half a checkpoint";
    std::ofstream(out / "T3/samples.npy.123.tmp") << "x";
    const Outcome resumed = run_pita(tiny_run("--resume " + out.string()));
    EXPECT_EQ(resumed.exit_code, 0) << resumed.output;
    EXPECT_FALSE(has_temporary_files(out));
}

// 6. Two runs started at once into one directory: exactly one runs, the other is refused.
TEST_F(ReliabilityCliTest, Finding6TwoRunsAtOnceDoNotMix) {
    if (PITA_SANITIZED != 0)
        GTEST_SKIP() << "whole runs: minutes under ASan; run in the Release build";
    const fs::path out = dir_ / "run";
    const std::string cmd = std::string(PITA_BINARY) + " " + tiny_run("--out " + out.string());
    const Outcome both = run_command("(" + cmd + " seed=1 > " + (dir_ / "a.log").string() +
                                     " 2>&1; echo $? > " + (dir_ / "a.rc").string() + ") & (" +
                                     cmd + " seed=2 > " + (dir_ / "b.log").string() +
                                     " 2>&1; echo $? > " + (dir_ / "b.rc").string() + "); wait");
    ASSERT_EQ(both.exit_code, 0) << both.output;
    auto rc = [&](const char* name) {
        int v = -1;
        std::ifstream(dir_ / name) >> v;
        return v;
    };
    const int a = rc("a.rc");
    const int b = rc("b.rc");
    EXPECT_TRUE((a == 0 && b == 2) || (a == 2 && b == 0)) << "rc " << a << " and " << b;
    const nlohmann::json record = json_at(out / "run.json");
    const int64_t winner = a == 0 ? 1 : 2;
    EXPECT_EQ(record["seed"].get<int64_t>(), winner);
}

// 7. A write that fails part-way (a full disk; here a file-size limit, which fails writes the
// same way) is a clean error that leaves no temporary file, and the run resumes.
TEST_F(ReliabilityCliTest, Finding7AFailedCheckpointWriteIsACleanErrorAndResumes) {
    if (PITA_SANITIZED != 0)
        GTEST_SKIP() << "whole runs: minutes under ASan; run in the Release build";
    const fs::path samples = make_samples();
    const fs::path out = dir_ / "train";
    // 64 KiB: the CSV log and run.json fit, a training checkpoint (~300 KiB) does not.
    const Outcome full = run_command("ulimit -f 64; " + std::string(PITA_BINARY) + " " +
                                     tiny_train(samples, "--out " + out.string()));
    EXPECT_EQ(full.exit_code, 2) << full.output;
    EXPECT_THAT(full.output, HasSubstr("checkpoint.pt"));
    EXPECT_THAT(full.output, Not(HasSubstr("unexpected failure")));
    EXPECT_FALSE(has_temporary_files(out));
    const Outcome resumed = run_pita(tiny_train(samples, "--resume " + out.string()));
    EXPECT_EQ(resumed.exit_code, 0) << resumed.output;
    EXPECT_TRUE(fs::exists(out / "train/checkpoint.pt"));
}

// 8. Values that used to pass --check and fail after the data phase, or run silently.
TEST_F(ReliabilityCliTest, Finding8BadValuesFailTheCheckNamingTheKey) {
    for (const std::string bad :
         {"anneal.n_samples=0", "anneal.steps=0", "anneal.chunk=0", "anneal.hutchinson_probes=0",
          "anneal.ess_threshold=2", "anneal.relax_step_size=0", "anneal.clamp_quantile=1.5",
          "metrics.max_samples=0", "train.steps=-1", "anneal.relax_steps=-1",
          "metrics.equivariant_samples=-1", "anneal.energy_mask_threshold=nan", "threads=-2",
          "data.n_chains=", "ladder=[4,nan]"}) {
        const Outcome o = run_pita(tiny_run(bad + " --check"));
        EXPECT_EQ(o.exit_code, 2) << bad << "\n" << o.output;
        EXPECT_THAT(o.output, HasSubstr(bad.substr(0, bad.find('=')) + ":")) << o.output;
    }
    // A duplicate key and an empty config file.
    const fs::path dup = dir_ / "dup.yaml";
    std::ofstream(dup) << "seed: 1\ntrain:\n  steps: 10\n  steps: 1000\n";
    const Outcome d = run_pita("run " + dup.string() + " --check");
    EXPECT_EQ(d.exit_code, 2) << d.output;
    EXPECT_THAT(d.output, HasSubstr("'train.steps' appears twice"));
    const fs::path empty = dir_ / "empty.yaml";
    std::ofstream(empty) << "# nothing\n";
    const Outcome e = run_pita("mcmc " + empty.string() + " --check");
    EXPECT_EQ(e.exit_code, 2) << e.output;
    EXPECT_THAT(e.output, HasSubstr("is empty"));
}

// 9. Configs that cannot fit in memory are refused before any work, naming the key.
TEST_F(ReliabilityCliTest, Finding9ConfigsThatCannotFitAreRefusedUpFront) {
    const Outcome m =
        run_pita("mcmc " + kSource + "/configs/lj13-data.yaml mcmc.n_chains=100000000 --check");
    EXPECT_EQ(m.exit_code, 2) << m.output;
    EXPECT_THAT(m.output, HasSubstr("Lower "));
    EXPECT_THAT(m.output, HasSubstr("mcmc.n_chains"));
    const Outcome a = run_pita(tiny_run("anneal.n_samples=100000000 --check"));
    EXPECT_EQ(a.exit_code, 2) << a.output;
    EXPECT_THAT(a.output, HasSubstr("anneal.n_samples"));
    // ...and the default configs fit, with the estimate in the plan.
    const Outcome ok =
        run_pita("run " + kSource + "/configs/lj13.yaml metrics.reference=" + kSource +
                 "/data/lj13/reference --check");
    EXPECT_EQ(ok.exit_code, 0) << ok.output;
    EXPECT_THAT(ok.output, HasSubstr("memory "));
}

// 13. Small ones: diagnose takes any config with an energy; --resume of another command's
// directory says what it is; CLI range errors are short.
TEST_F(ReliabilityCliTest, Finding13SmallOnes) {
    const Outcome d = run_pita("diagnose " + kSource + "/configs/lj13-data.yaml diagnose.batch=2");
    EXPECT_EQ(d.exit_code, 0) << d.output;
    const fs::path mcmc = dir_ / "mcmc";
    ASSERT_EQ(run_pita("mcmc " + kSource +
                       "/configs/lj13-data.yaml mcmc.n_chains=4 mcmc.warmup_steps=10 "
                       "mcmc.production_steps=20 mcmc.thin=10 --out " +
                       mcmc.string())
                  .exit_code,
              0);
    const Outcome r = run_pita(tiny_run("--resume " + mcmc.string()));
    EXPECT_EQ(r.exit_code, 2) << r.output;
    EXPECT_THAT(r.output, HasSubstr("written by `pita mcmc`, not `pita run`"));
    const Outcome t = run_pita("mcmc " + kSource + "/configs/lj13-data.yaml --threads -2");
    EXPECT_NE(t.exit_code, 0);
    EXPECT_LT(t.output.size(), 300u) << t.output;
}

}  // namespace
