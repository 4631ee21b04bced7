// `pita evaluate` on samples that used to produce confident nonsense (issue 12): NaN or absurd
// coordinates.
#include <filesystem>
#include <fstream>
#include <string>

#include <ATen/ATen.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "pita/io/npy.h"
#include "support/cli_helpers.h"

namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;

using pita::testing::Outcome;
using pita::testing::run_pita;

const std::string kReference = std::string(PITA_SOURCE_DIR) + "/data/lj13/reference";

class EvaluateCliTest : public pita::testing::ScratchDirTest {
  protected:
    /// A run directory with T1/samples.npy = the first `n` reference samples at T = 1 (float32,
    /// as the samplers store them) and the reference energies beside them, passed through
    /// `edit` first; the energies are the reference's own, so they disagree with any sample
    /// that `edit` breaks.
    fs::path make_run(int64_t n, void (*edit)(at::Tensor&)) {
        const fs::path run = dir_ / "run";
        fs::create_directories(run / "T1");
        std::ofstream(run / "run.json")
            << R"({"config": {"energy": {"type": "lennard_jones", "n_particles": 13}}})";
        at::Tensor x = pita::read_npy(kReference + "/T1/samples.npy").slice(0, 0, n).clone();
        edit(x);
        pita::write_npy((run / "T1/samples.npy").string(), x);
        pita::write_npy((run / "T1/energies.npy").string(),
                        pita::read_npy(kReference + "/T1/energies.npy").slice(0, 0, n).clone());
        return run;
    }
    nlohmann::json evaluate(const fs::path& run, Outcome* outcome) {
        *outcome = run_pita("evaluate " + run.string() + " --reference " + kReference +
                            " --threads 1 --equivariant-samples 8");
        return nlohmann::json::parse(std::ifstream(run / "evaluation.json"))["temperatures"][0];
    }
};

TEST_F(EvaluateCliTest, SamplesWithNonFiniteCoordinatesAreCountedExcludedAndReported) {
    // Before: energies.npy was finite, so "non_finite_energies: 0" and the NaN rows entered the
    // mean energy and the reference-free metrics unannounced.
    const fs::path run = make_run(40, [](at::Tensor& x) {
        x[3][0][0] = NAN;
        x[17][5][2] = INFINITY;
    });
    Outcome o;
    const nlohmann::json m = evaluate(run, &o);
    ASSERT_EQ(o.exit_code, 0) << o.output;
    EXPECT_EQ(m["samples"], 40);
    EXPECT_EQ(m["non_finite_samples"], 2);
    EXPECT_EQ(m["non_finite_energies"], 0);
    EXPECT_EQ(m["energies_disagreeing_with_samples"], 2);  // finite energies for broken rows
    EXPECT_EQ(m["samples_used"], 38);
    EXPECT_TRUE(std::isfinite(m["distance_w2"].get<double>()));
    EXPECT_TRUE(std::isfinite(m["configurational_temperature"]["value"].get<double>()));
    EXPECT_THAT(o.output, HasSubstr("2 of 40 samples have a non-finite coordinate"));
    EXPECT_THAT(o.output, HasSubstr("energies.npy"));
}

TEST_F(EvaluateCliTest, AnAbsurdCoordinateIsFlaggedAndTheDistancesStillIncludeIt) {
    // One coordinate at 1e30: distance-W2 of 2.45e28 used to be printed as an ordinary score.
    // It is the honest distance of this set and stays in, but the row is counted and named.
    const fs::path run = make_run(40, [](at::Tensor& x) { x[7][2][1] = 1e30; });
    Outcome o;
    const nlohmann::json m = evaluate(run, &o);
    ASSERT_EQ(o.exit_code, 0) << o.output;
    EXPECT_EQ(m["non_finite_samples"], 0);
    EXPECT_EQ(m["outlier_samples"], 1);
    EXPECT_EQ(m["samples_used"], 40);
    EXPECT_GT(m["distance_w2"].get<double>(), 1e20);
    EXPECT_THAT(o.output, HasSubstr("1 of 40 samples are outliers"));

    // The unedited set has none (the reference's largest extent is ~2.5x its median).
    const fs::path clean = make_run(40, [](at::Tensor&) {});
    const nlohmann::json c = evaluate(clean, &o);
    ASSERT_EQ(o.exit_code, 0) << o.output;
    EXPECT_EQ(c["outlier_samples"], 0);
    EXPECT_EQ(c["non_finite_samples"], 0);
    EXPECT_THAT(o.output, ::testing::Not(HasSubstr("outlier")));
}

}  // namespace
