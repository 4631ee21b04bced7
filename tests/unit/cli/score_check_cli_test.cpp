// `pita score-check` end to end: a short smoke run trains the stage-0 networks at T = 4, then the
// diagnostic probes them per noise level on the LJ-13 reference at T = 4 (held out: the run never
// reads it), writes score_check.json and counts the force evaluations; bad settings are refused
// before any work, naming the key.
#include <filesystem>
#include <fstream>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/cli_helpers.h"

namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;

class ScoreCheckCliTest : public pita::testing::ScratchDirTest {
  protected:
    std::string score_check(const std::string& extra) const {
        return "score-check " + std::string(PITA_SOURCE_DIR) + "/configs/smoke.yaml threads=1 " +
               "score_check.samples=" + PITA_SOURCE_DIR + "/data/lj13/reference/T4 " + extra;
    }
};

TEST_F(ScoreCheckCliTest, ProbesAStageCheckpointPerNoiseLevelAndRefusesBadSettings) {
    // The library's diagnostic runs under the sanitizers in ScoreDiagnostic.*; this test's smoke
    // run would take minutes there.
    if (PITA_SANITIZED != 0) GTEST_SKIP() << "a smoke run under ASan; runs in the Release build";
    const fs::path run = dir_ / "run";
    const pita::testing::Outcome trained = pita::testing::run_pita(
        "run " + std::string(PITA_SOURCE_DIR) +
        "/configs/smoke.yaml threads=1 train.steps=20 anneal.steps=5 anneal.n_samples=32 "
        "anneal.relax_steps=0 data.warmup_steps=100 data.production_steps=200 "
        "metrics.reference= --out " +
        run.string());
    ASSERT_EQ(trained.exit_code, 0) << trained.output;
    const fs::path checkpoint = run / "train/stage0.pt";
    ASSERT_TRUE(fs::exists(checkpoint));

    const fs::path out = dir_ / "check";
    const pita::testing::Outcome o =
        pita::testing::run_pita(score_check("score_check.checkpoint=" + checkpoint.string() +
                                            " score_check.levels=3 score_check.max_samples=50 "
                                            "score_check.batch=32 --out " +
                                            out.string()));
    ASSERT_EQ(o.exit_code, 0) << o.output;
    EXPECT_THAT(o.output, HasSubstr("lennard_jones at T = 4"));
    const nlohmann::json j = nlohmann::json::parse(std::ifstream(out / "score_check.json"));
    ASSERT_EQ(j["levels"].size(), 3u);
    EXPECT_EQ(j["samples"], 50);
    EXPECT_EQ(j["energy_evaluations"], 50 * 4);  // F(x0) once, F(x_t) per level
    EXPECT_DOUBLE_EQ(j["temperature"].get<double>(), 4.0);
    EXPECT_NEAR(j["levels"][0]["sigma"].get<double>(), 0.05, 1e-12);  // the schedule's σ_min
    for (const nlohmann::json& level : j["levels"])
        for (const char* net : {"score_network", "energy_network", "skip"}) {
            EXPECT_TRUE(level[net]["target"].is_number()) << level.dump();
            EXPECT_TRUE(level[net]["exact"].is_null()) << "LJ-13 has no closed-form score";
        }
    EXPECT_TRUE(fs::exists(out / "run.json"));

    const pita::testing::Outcome missing = pita::testing::run_pita(score_check("--check"));
    EXPECT_EQ(missing.exit_code, 2) << missing.output;
    EXPECT_THAT(missing.output, HasSubstr("score_check.checkpoint"));
    const pita::testing::Outcome no_samples =
        pita::testing::run_pita("score-check " + std::string(PITA_SOURCE_DIR) +
                                "/configs/smoke.yaml score_check.samples=" + dir_.string() +
                                " score_check.checkpoint=" + checkpoint.string() + " --check");
    EXPECT_EQ(no_samples.exit_code, 2) << no_samples.output;
    EXPECT_THAT(no_samples.output, HasSubstr("holds no samples.npy"));
    const pita::testing::Outcome bad_levels = pita::testing::run_pita(
        score_check("score_check.checkpoint=" + checkpoint.string() + " score_check.levels=0"));
    EXPECT_EQ(bad_levels.exit_code, 2) << bad_levels.output;
    EXPECT_THAT(bad_levels.output, HasSubstr("score_check.levels"));
}

}  // namespace
