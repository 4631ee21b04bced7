// `pita run` end to end on configs/smoke.yaml (about 15 s): outputs, evaluation accounting,
// provenance of the buffers, and a resume after `kill -9` in the middle of a phase.
#include <filesystem>
#include <fstream>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <ATen/ATen.h>

#include "pita/io/npy.h"
#include "support/cli_helpers.h"

namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;

using pita::testing::kill_after_start;
using pita::testing::Outcome;
using pita::testing::run_command;

class RunCliTest : public pita::testing::ScratchDirTest {
  protected:
    static std::string pita_run(const std::string& extra) {
        return std::string(PITA_BINARY) + " run " + PITA_SOURCE_DIR +
               "/configs/smoke.yaml threads=1 metrics.reference=" + PITA_SOURCE_DIR +
               "/data/lj13/reference " + extra;
    }
    /// The Debug + ASan build runs the smoke pipeline ~8x slower (minutes per run); there the
    /// short three-rung test covers every phase and the longer runs stay in the Release stage.
    static bool skip_when_sanitized() { return PITA_SANITIZED != 0; }
    static nlohmann::json json_at(const fs::path& p) {
        return nlohmann::json::parse(std::ifstream(p));
    }
};

TEST_F(RunCliTest, SmokeRunWritesEveryOutputAndAccountsForEveryEvaluation) {
    if (skip_when_sanitized()) GTEST_SKIP() << "minutes under ASan; runs in the Release build";
    const Outcome o = run_command(pita_run("--out " + (dir_ / "r").string()));
    ASSERT_EQ(o.exit_code, 0) << o.output;
    EXPECT_THAT(o.output, HasSubstr("target-energy evaluations"));
    const nlohmann::json m = json_at(dir_ / "r/metrics.json");
    ASSERT_EQ(m["temperatures"].size(), 2u);
    const nlohmann::json& ev = m["energy_evaluations"];
    // MALA: 64 chains × (1 initial + 3000 warm-up + 1600 production) steps, one evaluation each.
    EXPECT_EQ(ev["data"], 64 * (1 + 3000 + 1600));
    EXPECT_EQ(ev["buffer"], 2560);     // the MCMC samples' energies and forces, once
    EXPECT_EQ(ev["correction"], 256);  // one per annealed particle
    EXPECT_EQ(ev["total"], ev["data"].get<int64_t>() + ev["buffer"].get<int64_t>() +
                               ev["correction"].get<int64_t>() + ev["relaxation"].get<int64_t>());
    EXPECT_GT(m["metric_energy_evaluations"].get<int64_t>(), 0);  // reported apart

    const nlohmann::json& top = m["temperatures"][0];
    const nlohmann::json& low = m["temperatures"][1];
    EXPECT_EQ(top["source"], "mcmc");
    EXPECT_EQ(low["source"], "annealed");
    // Loose, honest checks. The MCMC data at T = 4 (2 560 samples, τ(E) ≈ 1 kept sample) must
    // match the reference: ⟨E⟩ within 3 units (the reference σ(E) is 18, so the standard error
    // of ⟨E⟩ is ~0.4 for independent samples and ~1 allowing for correlation) and the
    // configurational temperature within 10 % of 4.
    EXPECT_NEAR(top["mean_energy"].get<double>(), top["reference_mean_energy"].get<double>(), 3.0);
    EXPECT_NEAR(top["configurational_temperature"]["value"].get<double>(), 4.0, 0.4);
    // The annealed set after 150 training steps is far from converged; what must hold is that
    // every metric is computed and every sample is finite and mean-free.
    EXPECT_EQ(low["non_finite_energies"], 0);
    EXPECT_TRUE(low.contains("energy_w2") && low.contains("distance_w2") &&
                low.contains("equivariant_w2"));
    const at::Tensor x = pita::read_npy((dir_ / "r/T3/samples.npy").string());
    EXPECT_EQ(x.sizes(), (std::vector<int64_t>{256, 13, 3}));
    EXPECT_LT(x.mean(1).abs().max().item<double>(), 1e-5);
    for (const char* f :
         {"run.json", "state.json", "data/T4/samples.npy", "T3/energies.npy", "T3/anneal.json",
          "T3/diagnostics.csv", "train/losses.csv", "train/checkpoint.pt", "train/stage0.pt"})
        EXPECT_TRUE(fs::exists(dir_ / "r" / f)) << f;

    // `pita evaluate` on the finished run, with the run's metric settings and seed, must give
    // back metrics.json's numbers and the sampler's evaluation total.
    const Outcome evaluated =
        run_command(std::string(PITA_BINARY) + " evaluate " + (dir_ / "r").string() +
                    " --seed 7 --threads 1 --max-samples 1000 "
                    "--equivariant-samples 64 --out " +
                    (dir_ / "evaluation.json").string());
    ASSERT_EQ(evaluated.exit_code, 0) << evaluated.output;
    const nlohmann::json e = json_at(dir_ / "evaluation.json");
    EXPECT_EQ(e["sampler_energy_evaluations"], ev["total"]);
    ASSERT_EQ(e["temperatures"].size(), 2u);
    for (std::size_t i = 0; i < 2; ++i) {
        for (const char* k : {"temperature", "mean_energy", "energy_w2", "distance_w2",
                              "equivariant_w2", "reference_mean_energy"})
            EXPECT_EQ(e["temperatures"][i][k], m["temperatures"][i][k]) << i << " " << k;
    }
    EXPECT_EQ(e["temperatures"][0]["source"], "data/T4");
    EXPECT_EQ(e["temperatures"][1]["source"], "T3");

    // What the networks delivered (after the SDE and the end correction, before the 20 MALA
    // relaxation steps) is kept and scored beside the final samples, by pita run and evaluate.
    ASSERT_TRUE(low.contains("before_relaxation")) << low.dump();
    const nlohmann::json& raw = low["before_relaxation"];
    EXPECT_EQ(raw["source"], "networks");
    EXPECT_EQ(raw["samples"], 256);
    EXPECT_TRUE(raw.contains("energy_w2") && raw.contains("distance_w2"));
    EXPECT_NE(raw["mean_energy"], low["mean_energy"]);  // the relaxation moved the samples
    EXPECT_FALSE(top.contains("before_relaxation"));    // MCMC data: nothing to relax
    // The SMC's health per annealed rung, beside its metrics.
    ASSERT_TRUE(low.contains("smc")) << low.dump();
    EXPECT_LE(low["smc"]["min_ess"].get<double>(), 256.0);
    EXPECT_GE(low["smc"]["correction_unique_ancestors"].get<int64_t>(), 1);
    // The genealogy: prior draws with descendants, after the SDE and after the correction's
    // resampling, which can only lose lineages.
    const int64_t lineages = low["smc"]["lineages"].get<int64_t>();
    EXPECT_GE(lineages, 1);
    EXPECT_LE(lineages, 256);
    EXPECT_GE(low["smc"]["correction_lineages"].get<int64_t>(), 1);
    EXPECT_LE(low["smc"]["correction_lineages"].get<int64_t>(), lineages);
    EXPECT_FALSE(top.contains("smc"));
    for (const char* k : {"mean_energy", "energy_w2", "distance_w2", "equivariant_w2"})
        EXPECT_EQ(e["temperatures"][1]["before_relaxation"][k], raw[k]) << k;
    const at::Tensor x_raw = pita::read_npy((dir_ / "r/T3/before_relaxation/samples.npy").string());
    EXPECT_EQ(x_raw.sizes(), x.sizes());
    EXPECT_TRUE(fs::exists(dir_ / "r/T3/before_relaxation/energies.npy"));
    EXPECT_THAT(o.output, HasSubstr("networks"));

    const Outcome bad = run_command(std::string(PITA_BINARY) + " evaluate " + dir_.string());
    EXPECT_EQ(bad.exit_code, 2) << bad.output;
    EXPECT_THAT(bad.output, HasSubstr("no run.json there"));
}

TEST_F(RunCliTest, BuffersBelowTheTopTemperatureComeOnlyFromTheSamplerItself) {
    const Outcome o =
        run_command(pita_run("ladder=[4.0,3.0,2.5] train.steps=30 anneal.steps=10 "
                             "anneal.relax_steps=0 metrics.equivariant_samples=0 --out " +
                             (dir_ / "r").string()));
    ASSERT_EQ(o.exit_code, 0) << o.output;
    const nlohmann::json m = json_at(dir_ / "r/metrics.json");
    ASSERT_EQ(m["buffers"].size(), 2u);  // T = 4 (MCMC) and T = 3 (annealed); T = 2.5 is final
    EXPECT_EQ(m["buffers"][0]["provenance"], "mcmc:T=4");
    EXPECT_THAT(m["buffers"][1]["provenance"].get<std::string>(),
                HasSubstr("annealed:T=3 from models trained at T=4"));
    EXPECT_NEAR(m["buffers"][1]["beta"].get<double>(), 4.0 / 3.0, 1e-12);
}

TEST_F(RunCliTest, ResumesAfterAKillMidPhaseAndLosesNothing) {
    if (skip_when_sanitized()) GTEST_SKIP() << "minutes under ASan; runs in the Release build";
    const std::string out = (dir_ / "r").string();
    // Kill -9 two seconds after the run has begun (run.json): inside training (data takes ~1 s);
    // wherever it lands, the resumed run must finish with complete outputs.
    const Outcome killed = kill_after_start(pita_run("--out " + out), dir_ / "r/run.json", 2.0);
    ASSERT_NE(killed.exit_code, 0) << "the run finished before the kill; lengthen the smoke run";
    const Outcome resumed = run_command(pita_run("--resume " + out));
    ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
    EXPECT_THAT(resumed.output, HasSubstr("resuming after"));
    const nlohmann::json state = json_at(dir_ / "r/state.json");
    EXPECT_EQ(state["phases_done"].size(), 3u);  // data, train0, anneal0
    // The loss log has each logged step once, in order, up to the last step.
    std::ifstream log(dir_ / "r/train/losses.csv");
    std::string line;
    std::getline(log, line);
    int64_t previous = 0;
    while (std::getline(log, line)) {
        const auto a = line.find(',');
        const int64_t step = std::stoll(line.substr(a + 1, line.find(',', a + 1) - a - 1));
        EXPECT_GT(step, previous) << line;
        previous = step;
    }
    EXPECT_EQ(previous, 150);
    const nlohmann::json run = json_at(dir_ / "r/run.json");
    EXPECT_EQ(run["resumed"].size(), 1u);

    const Outcome changed = run_command(pita_run("train.learning_rate=0.01 --resume " + out));
    EXPECT_EQ(changed.exit_code, 2);
    EXPECT_THAT(changed.output, HasSubstr("differs from the one the run started with in: "
                                          "train.learning_rate"));
}

}  // namespace

namespace {

// Every pita-run config in configs/ must parse and validate (`--check` runs nothing), so a key
// renamed in the code cannot silently break a shipped config; lj13-paper.yaml asks for CUDA and
// is checked on the CPU here.
TEST_F(RunCliTest, ShippedRunConfigsValidate) {
    for (const char* name : {"smoke.yaml", "lj13.yaml", "lj13-paper.yaml"}) {
        const Outcome o =
            run_command(std::string(PITA_BINARY) + " run " + PITA_SOURCE_DIR + "/configs/" + name +
                        " --check --device cpu metrics.reference=" + PITA_SOURCE_DIR +
                        "/data/lj13/reference --out " + (dir_ / "never").string());
        EXPECT_EQ(o.exit_code, 0) << name << "\n" << o.output;
        EXPECT_THAT(o.output, HasSubstr("config OK")) << name;
    }
    EXPECT_FALSE(fs::exists(dir_ / "never"));  // --check writes nothing
    const Outcome paper = run_command(std::string(PITA_BINARY) + " run " + PITA_SOURCE_DIR +
                                      "/configs/lj13-paper.yaml --check --device cpu "
                                      "metrics.reference=''");
    EXPECT_THAT(paper.output, HasSubstr("training steps per rung 37500/50000/37500/50000/75000"));
    const Outcome bad = run_command(std::string(PITA_BINARY) + " run " + PITA_SOURCE_DIR +
                                    "/configs/lj13.yaml --check 'train.stage_steps=[10]' "
                                    "metrics.reference=''");
    EXPECT_EQ(bad.exit_code, 2) << bad.output;
    EXPECT_THAT(bad.output, HasSubstr("train.stage_steps: has 1 entries"));
}

}  // namespace

namespace {

TEST_F(RunCliTest, AMissingReferenceDirectoryIsRefusedBeforeAnyWork) {
    const Outcome o = run_command(std::string(PITA_BINARY) + " run " + PITA_SOURCE_DIR +
                                  "/configs/smoke.yaml metrics.reference=no/such/dir --out " +
                                  (dir_ / "r").string());
    EXPECT_EQ(o.exit_code, 2) << o.output;
    EXPECT_THAT(o.output, HasSubstr("metrics.reference: directory 'no/such/dir' not found"));
    EXPECT_FALSE(fs::exists(dir_ / "r"));
}

}  // namespace
