// Runs the `pita` binary as a user would and checks exit codes and the printed hints.
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "pita/io/npy.h"
#include "support/cli_helpers.h"

#include <ATen/ATen.h>

namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;

using pita::testing::Outcome;
using pita::testing::run_pita;

class CliTest : public pita::testing::ScratchDirTest {
  protected:
    std::string write_config(const std::string& text) {
        const fs::path p = dir_ / "config.yaml";
        std::ofstream(p) << text;
        return p.string();
    }
};

constexpr const char* kTinyMcmc =
    "seed: 5\nthreads: 1\nenergy:\n  type: lennard_jones\n  n_particles: 13\n"
    "mcmc:\n  temperatures: [1.0, 2.0]\n  n_chains: 4\n  warmup_steps: 20\n"
    "  production_steps: 40\n  thin: 10\n";

TEST_F(CliTest, McmcWritesSamplesStatisticsAndRunRecord) {
    const std::string cfg = write_config(kTinyMcmc);
    const Outcome o = run_pita("mcmc " + cfg + " --out " + (dir_ / "run").string());
    ASSERT_EQ(o.exit_code, 0) << o.output;
    EXPECT_THAT(o.output, HasSubstr("target-energy evaluations"));
    const at::Tensor x = pita::read_npy((dir_ / "run/T1/samples.npy").string());
    EXPECT_EQ(x.sizes(), (std::vector<int64_t>{16, 13, 3}));
    EXPECT_EQ(x.scalar_type(), at::kFloat);
    EXPECT_TRUE(fs::exists(dir_ / "run/T2/energies.npy"));
    nlohmann::json stats = nlohmann::json::parse(std::ifstream(dir_ / "run/mcmc.json"));
    EXPECT_EQ(stats["energy_evaluations"], 8 * (1 + 20 + 40));
    nlohmann::json run = nlohmann::json::parse(std::ifstream(dir_ / "run/run.json"));
    EXPECT_EQ(run["seed"], 5);
    EXPECT_EQ(run["config"]["mcmc"]["n_chains"], 4);
    EXPECT_EQ(run["config"]["mcmc"]["step_size"], 1e-4);  // defaults are recorded too
}

TEST_F(CliTest, McmcWithFourSamplesPerChainGivesNoErrorBarAndIsNotConverged) {
    // kTinyMcmc keeps 4 chains × 4 samples: this used to print "± 0.000", τ 1e-12, ESS 1.6e13
    // and write "converged": true.
    const std::string cfg = write_config(kTinyMcmc);
    const Outcome o = run_pita("mcmc " + cfg + " --out " + (dir_ / "m").string());
    ASSERT_EQ(o.exit_code, 0) << o.output;
    const nlohmann::json stats = nlohmann::json::parse(std::ifstream(dir_ / "m/mcmc.json"));
    for (const nlohmann::json& t : stats["temperatures"]) {
        const nlohmann::json& tau = t["energy_autocorrelation"];
        EXPECT_EQ(tau["converged"], false);
        EXPECT_THAT(tau["reason"].get<std::string>(), HasSubstr("4 samples per chain"));
        EXPECT_TRUE(tau["effective_samples"].is_null()) << tau;
        EXPECT_TRUE(t["energy"]["standard_error"].is_null()) << t["energy"];
        EXPECT_TRUE(t["configurational_temperature"]["standard_error"].is_null());
        EXPECT_THAT(t["energy"]["note"].get<std::string>(), HasSubstr("4 samples per chain"));
    }
    EXPECT_THAT(o.output, ::testing::Not(HasSubstr("± 0.000")));
    EXPECT_THAT(o.output, HasSubstr("note: T = 1: only 4 samples per chain"));
}

TEST_F(CliTest, SameSeedGivesIdenticalSamples) {
    const std::string cfg = write_config(kTinyMcmc);
    ASSERT_EQ(run_pita("mcmc " + cfg + " --out " + (dir_ / "a").string()).exit_code, 0);
    ASSERT_EQ(run_pita("mcmc " + cfg + " --out " + (dir_ / "b").string()).exit_code, 0);
    EXPECT_TRUE(at::equal(pita::read_npy((dir_ / "a/T1/samples.npy").string()),
                          pita::read_npy((dir_ / "b/T1/samples.npy").string())));
}

TEST_F(CliTest, UnknownConfigKeyNamesTheNearestValidKey) {
    const std::string cfg = write_config(std::string(kTinyMcmc) + "  n_chain: 3\n");
    const Outcome o = run_pita("mcmc " + cfg + " --out " + (dir_ / "run").string());
    EXPECT_EQ(o.exit_code, 2);
    EXPECT_THAT(o.output, HasSubstr("mcmc.n_chain: unknown key. Did you mean 'mcmc.n_chains'?"));
    EXPECT_FALSE(fs::exists(dir_ / "run/run.json"));  // nothing started on a bad config
}

TEST_F(CliTest, WrongTypeInOverrideIsReported) {
    const std::string cfg = write_config(kTinyMcmc);
    const Outcome o =
        run_pita("mcmc " + cfg + " mcmc.n_chains=lots --out " + (dir_ / "run").string());
    EXPECT_EQ(o.exit_code, 2);
    EXPECT_THAT(o.output, HasSubstr("mcmc.n_chains: wrong type: got 'lots'; expected an integer"));
}

TEST_F(CliTest, MissingConfigFileIsReported) {
    const Outcome o = run_pita("mcmc " + (dir_ / "nope.yaml").string());
    EXPECT_NE(o.exit_code, 0);
    EXPECT_THAT(o.output, HasSubstr("nope.yaml"));
}

TEST_F(CliTest, UnknownEnergyTypeSuggestsTheNearestOne) {
    const std::string cfg = write_config("energy:\n  type: lenard_jones\n");
    const Outcome o = run_pita("diagnose " + cfg);
    EXPECT_EQ(o.exit_code, 2);
    EXPECT_THAT(o.output, HasSubstr("Did you mean 'lennard_jones'?"));
}

TEST_F(CliTest, DiagnosePassesForEveryBuiltInTarget) {
    for (const char* type : {"lennard_jones", "double_well", "gmm", "gaussian"}) {
        const std::string cfg =
            write_config(std::string("seed: 1\nenergy:\n  type: ") + type + "\n");
        const Outcome o = run_pita("diagnose " + cfg);
        EXPECT_EQ(o.exit_code, 0) << type << "\n" << o.output;
        EXPECT_THAT(o.output, HasSubstr("force vs finite differences"));
    }
}

#ifdef PITA_WITH_OPENMM
TEST_F(CliTest, DiagnosePassesForAlanineDipeptide) {
    const std::string data = std::string(PITA_SOURCE_DIR) + "/data/molecules/";
    const std::string cfg =
        write_config("seed: 1\nenergy:\n  type: molecule\n  system: " + data +
                     "aldp.system.xml\n  pdb: " + data + "aldp.pdb\n  initial_noise: 0.01\n");
    const Outcome o = run_pita("diagnose " + cfg + " --threads 1");
    EXPECT_EQ(o.exit_code, 0) << o.output;
    EXPECT_THAT(o.output, HasSubstr("molecule: 8 configurations, 22 particles x 3"));
}

TEST_F(CliTest, MdWritesFramesInNanometresAndCountsForceEvaluations) {
    const std::string data = std::string(PITA_SOURCE_DIR) + "/data/molecules/";
    const std::string cfg =
        write_config("seed: 2\nthreads: 1\nenergy:\n  type: molecule\n  system: " + data +
                     "aldp.system.xml\n  pdb: " + data +
                     "aldp.pdb\nmd:\n  temperature: 1200\n  n_replicas: 3\n  warmup_steps: 20\n"
                     "  n_frames: 2\n  steps_per_frame: 10\n");
    const Outcome o = run_pita("md " + cfg + " --out " + (dir_ / "md").string());
    ASSERT_EQ(o.exit_code, 0) << o.output;
    const at::Tensor frames = pita::read_npy((dir_ / "md/T1200/frames.npy").string());
    EXPECT_EQ(frames.sizes(), (std::vector<int64_t>{2, 3, 22, 3}));
    EXPECT_EQ(frames.scalar_type(), at::kFloat);
    // nm: the molecule spans about 1 nm (the PDB is in Å, ten times larger).
    const at::Tensor span = frames.amax(2) - frames.amin(2);
    EXPECT_GT(span.max().item<double>(), 0.3);
    EXPECT_LT(span.max().item<double>(), 2.0);
    EXPECT_LT(frames.mean(2).abs().max().item<double>(), 1e-6);  // each frame centred
    // samples.npy: the same frames, flattened and normalised (mean-free, / 0.164 nm).
    const at::Tensor samples = pita::read_npy((dir_ / "md/T1200/samples.npy").string());
    EXPECT_EQ(samples.sizes(), (std::vector<int64_t>{6, 22, 3}));
    const at::Tensor centred = frames.flatten(0, 1) - frames.flatten(0, 1).mean(1, true);
    EXPECT_TRUE(at::allclose(samples * 0.1640, centred, 1e-5, 1e-6));
    EXPECT_EQ(pita::read_npy((dir_ / "md/T1200/energies.npy").string()).numel(), 6);
    EXPECT_TRUE(fs::exists(dir_ / "md/T1200/trajectory.dcd"));
    nlohmann::json stats = nlohmann::json::parse(std::ifstream(dir_ / "md/md.json"));
    EXPECT_EQ(stats["force_evaluations"], 3 * (1 + 20 + 2 * 10));
    EXPECT_EQ(stats["torsion_names"][0], "phi ALA2");
    EXPECT_FALSE(stats.contains("exchange"));
    const at::Tensor torsions = pita::read_npy((dir_ / "md/T1200/torsions.npy").string());
    EXPECT_EQ(torsions.sizes(), (std::vector<int64_t>{2, 3, 4}));  // φ, ψ, two ω
    EXPECT_LE(torsions.abs().max().item<double>(), 3.1415927);
    EXPECT_LT(stats["start_energy_kj_mol"].get<double>(), stats["pdb_energy_kj_mol"].get<double>());
    EXPECT_TRUE(stats["temperatures"][0]["kinetic_temperature"]["standard_error"].is_number());

    const std::string lj = write_config("energy:\n  type: lennard_jones\n");
    const Outcome bad = run_pita("md " + lj);
    EXPECT_EQ(bad.exit_code, 2);
    EXPECT_THAT(bad.output, HasSubstr("expected molecule"));
}

TEST_F(CliTest, ReplicaExchangeMdResumesBitForBit) {
    // Three baths x two chains. One run makes 4 frames in one go; another makes 2 and is then
    // resumed with md.n_frames = 4 (extending a run is what --resume allows besides
    // continuing after a crash): the frames must be bitwise the same.
    const std::string data = std::string(PITA_SOURCE_DIR) + "/data/molecules/";
    const std::string text = "seed: 4\nthreads: 1\nenergy:\n  type: molecule\n  system: " + data +
                             "aldp.system.xml\n  pdb: " + data +
                             "aldp.pdb\nmd:\n  temperatures: [300, 450, 600]\n  n_replicas: 2\n"
                             "  exchange_interval: 5\n  warmup_steps: 10\n"
                             "  steps_per_frame: 10\noutput:\n  checkpoint_minutes: 0\n";
    const std::string cfg = write_config(text);
    const Outcome full = run_pita("md " + cfg + " md.n_frames=4 --out " + (dir_ / "full").string());
    ASSERT_EQ(full.exit_code, 0) << full.output;
    EXPECT_THAT(full.output, HasSubstr("exchange acceptance per pair"));
    nlohmann::json stats = nlohmann::json::parse(std::ifstream(dir_ / "full/md.json"));
    ASSERT_EQ(stats["exchange"]["pairs"].size(), 2u);
    // 50 steps, an exchange every 5: 10 rounds alternating even and odd pairs, 2 chains each.
    EXPECT_EQ(stats["exchange"]["pairs"][0]["attempts"], 10);
    EXPECT_EQ(stats["exchange"]["pairs"][1]["attempts"], 10);
    EXPECT_EQ(stats["force_evaluations"], 6 * (1 + 10 + 4 * 10));

    const Outcome part = run_pita("md " + cfg + " md.n_frames=2 --out " + (dir_ / "part").string());
    ASSERT_EQ(part.exit_code, 0) << part.output;
    const Outcome more =
        run_pita("md " + cfg + " md.n_frames=4 --resume " + (dir_ / "part").string());
    ASSERT_EQ(more.exit_code, 0) << more.output;
    EXPECT_THAT(more.output, HasSubstr("resuming after 2 of 4 frames"));
    for (const char* t : {"T300", "T450", "T600"}) {
        const at::Tensor a = pita::read_npy((dir_ / "full" / t / "frames.npy").string());
        const at::Tensor b = pita::read_npy((dir_ / "part" / t / "frames.npy").string());
        ASSERT_EQ(a.size(0), 4) << t;
        EXPECT_TRUE(a.equal(b)) << t;
    }
    nlohmann::json resumed = nlohmann::json::parse(std::ifstream(dir_ / "part/md.json"));
    EXPECT_EQ(resumed["force_evaluations"], stats["force_evaluations"]);
    EXPECT_EQ(resumed["exchange"], stats["exchange"]);

    // pita evaluate reads a pita md directory; scored against itself (every sample kept, as
    // there are fewer than max_samples) the Ramachandran distances are zero and the energy
    // distances too.
    const Outcome eval = run_pita("evaluate " + (dir_ / "part").string() + " --reference " +
                                  (dir_ / "part").string() + " --threads 1");
    ASSERT_EQ(eval.exit_code, 0) << eval.output;
    nlohmann::json scores = nlohmann::json::parse(std::ifstream(dir_ / "part/evaluation.json"));
    ASSERT_EQ(scores["temperatures"].size(), 3u);
    EXPECT_EQ(scores["sampler_energy_evaluations"], stats["force_evaluations"]);
    for (const auto& m : scores["temperatures"]) {
        EXPECT_EQ(m["torsion_names"], (nlohmann::json{"phi ALA2", "psi ALA2"}));
        EXPECT_NEAR(m["torsion_torus_w2"].get<double>(), 0.0, 1e-9);
        EXPECT_NEAR(m["energy_w2"].get<double>(), 0.0, 1e-9);
        EXPECT_FALSE(m.contains("equivariant_w2"));  // atoms are labelled: no permutations
        EXPECT_EQ(m["configurational_temperature"]["estimator"], "rugh");
    }

    // Anything else changed is refused with the key named; so is shrinking below the frames made.
    const Outcome refused =
        run_pita("md " + cfg + " md.n_frames=4 seed=5 --resume " + (dir_ / "part").string());
    EXPECT_EQ(refused.exit_code, 2);
    EXPECT_THAT(refused.output, HasSubstr("seed"));
    const Outcome shrink =
        run_pita("md " + cfg + " md.n_frames=1 --resume " + (dir_ / "part").string());
    EXPECT_EQ(shrink.exit_code, 2);
    EXPECT_THAT(shrink.output, HasSubstr("fewer than the 4 frames"));
}
#endif

TEST_F(CliTest, CudaRequestOnCpuBuildGivesTheRebuildHint) {
    const std::string cfg = write_config(kTinyMcmc);
    const Outcome o = run_pita("diagnose " + cfg + " --device cuda");
    if (o.exit_code == 0) GTEST_SKIP() << "this build has a GPU";
    EXPECT_EQ(o.exit_code, 2);
    EXPECT_THAT(o.output, HasSubstr("CMAKE_PREFIX_PATH"));
}

// `pita train`: a tiny EGNN on a few LJ-13 configurations, seconds per run.
class TrainCliTest : public CliTest {
  protected:
    void SetUp() override {
        CliTest::SetUp();
        // The first 13 sites of a 3x3x3 cubic lattice of spacing 1.1, jittered by 0.05: a compact
        // cluster without close contacts, so energies and losses stay O(1-100) and a float32
        // rounding difference cannot grow through gradient clipping into another trajectory.
        const at::Tensor k = at::arange(13, at::kDouble);
        const at::Tensor sites =
            at::stack({at::floor_divide(k, 9), at::floor_divide(k, 3).remainder(3), k.remainder(3)},
                      1) *
            1.1;
        at::Tensor x = sites.unsqueeze(0) + at::randn({32, 13, 3}, at::kDouble) * 0.05;
        samples_ = (dir_ / "x.npy").string();
        pita::write_npy(samples_, x.to(at::kFloat));
    }
    std::string config(const std::string& extra = "") {
        return write_config(
            "seed: 3\nthreads: 1\nenergy: {type: lennard_jones, n_particles: 13}\n"
            "data: {samples: " +
            samples_ +
            ", temperature: 2.0}\n"
            "schedule: {sigma_min: 0.05}\n"
            "model: {backbone: egnn, hidden: 8, n_layers: 1}\n"
            "train: {steps: 6, batch_size: 8, log_every: 1, checkpoint_every: 3}\n" +
            extra);
    }
    /// losses.csv without its wall_s column: the header, then one vector of numbers per row.
    static std::vector<std::vector<double>> loss_rows(const fs::path& run, std::string* text) {
        std::ifstream in(run / "train/losses.csv");
        std::vector<std::vector<double>> rows;
        std::string line;
        while (std::getline(in, line)) {
            *text += line + "\n";
            if (line.rfind("stage", 0) == 0) continue;
            std::vector<double> row;
            std::stringstream cells(line.substr(0, line.rfind(',')));
            std::string cell;
            while (std::getline(cells, cell, ','))
                row.push_back(cell.empty() ? 0.0 : std::stod(cell));
            rows.push_back(row);
        }
        return rows;
    }
    std::string samples_;
};

TEST_F(TrainCliTest, TrainsWritesLossesAndResumesIdentically) {
    const std::string cfg = config();
    const Outcome full = run_pita("train " + cfg + " --out " + (dir_ / "full").string());
    ASSERT_EQ(full.exit_code, 0) << full.output;
    EXPECT_THAT(full.output, HasSubstr("trained 6 steps"));
    nlohmann::json summary = nlohmann::json::parse(std::ifstream(dir_ / "full/train/summary.json"));
    EXPECT_EQ(summary["energy_evaluations"], 32);
    EXPECT_EQ(summary["buffers"][0]["rows"], 32);

    // Stop after 3 steps (the checkpoint), then resume to 6.
    ASSERT_EQ(
        run_pita("train " + cfg + " train.steps=3 --out " + (dir_ / "cut").string()).exit_code, 0);
    const Outcome resumed = run_pita("train " + cfg + " --resume " + (dir_ / "cut").string());
    ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
    EXPECT_THAT(resumed.output, HasSubstr("trained 6 steps (3 in this process"));
    std::string full_text, cut_text;
    const auto a = loss_rows(dir_ / "full", &full_text);
    const auto b = loss_rows(dir_ / "cut", &cut_text);
    ASSERT_EQ(a.size(), 6u) << full_text;
    ASSERT_EQ(b.size(), 6u) << cut_text;
    // The trainer test asserts bitwise-equal weights for a resume inside one process. Across
    // processes the log is compared to 1e-6 relative: it prints 8 significant digits, and a
    // fresh process may take a different (equally valid) BLAS/vector path for its first step,
    // which moves float32 results by a few ulps (6e-8 each), never by 1e-6 in 3 steps with
    // these well-conditioned losses.
    for (std::size_t r = 0; r < a.size(); ++r) {
        ASSERT_EQ(a[r].size(), b[r].size());
        for (std::size_t c = 0; c < a[r].size(); ++c) {
            EXPECT_NEAR(a[r][c], b[r][c], 1e-6 * std::abs(a[r][c]))
                << "row " << r << " column " << c << "\nstraight:\n"
                << full_text << "resumed:\n"
                << cut_text;
        }
    }
}

TEST_F(TrainCliTest, ResumeWithAChangedConfigNamesTheKey) {
    ASSERT_EQ(
        run_pita("train " + config() + " train.steps=3 --out " + (dir_ / "r").string()).exit_code,
        0);
    const Outcome o = run_pita("train " + config() + " train.learning_rate=0.01 --resume " +
                               (dir_ / "r").string());
    EXPECT_EQ(o.exit_code, 2);
    EXPECT_THAT(o.output, HasSubstr("differs from the one the run started with in: "
                                    "train.learning_rate"));
}

TEST_F(TrainCliTest, BadDatasetsAndUnknownBackbonesAreNamed) {
    Outcome o =
        run_pita("train " + config() + " energy.n_particles=12 --out " + (dir_ / "a").string());
    EXPECT_EQ(o.exit_code, 2);
    EXPECT_THAT(o.output, HasSubstr("has shape [32, 13, 3]; the target lennard_jones needs "
                                    "[m, 12, 3]"));

    at::Tensor x = pita::read_npy(samples_);
    x[7][3][2] = NAN;
    pita::write_npy(samples_, x);
    o = run_pita("train " + config() + " --out " + (dir_ / "b").string());
    EXPECT_EQ(o.exit_code, 2);
    EXPECT_THAT(o.output, HasSubstr("NaN or infinite coordinates (first: row 7)"));

    o = run_pita("train " + config() + " model.backbone=transformer --out " +
                 (dir_ / "c").string());
    EXPECT_EQ(o.exit_code, 2);
    EXPECT_THAT(o.output, HasSubstr("model.backbone"));
    EXPECT_THAT(o.output, HasSubstr("expected one of egnn, mlp, dit"));
}

TEST_F(TrainCliTest, AnnealsFromACheckpointAndCountsTargetEvaluations) {
    ASSERT_EQ(run_pita("train " + config() + " --out " + (dir_ / "t").string()).exit_code, 0);
    const std::string anneal_cfg = (dir_ / "anneal.yaml").string();
    std::ofstream(anneal_cfg) << "seed: 4\nthreads: 1\nanneal:\n  checkpoint: "
                              << (dir_ / "t/train/checkpoint.pt").string()
                              << "\n  temperature: 1.5\n  n_samples: 16\n  steps: 5\n"
                                 "  relax_steps: 2\n  divergence: hutchinson\n";
    const Outcome o = run_pita("anneal " + anneal_cfg + " --out " + (dir_ / "a").string());
    ASSERT_EQ(o.exit_code, 0) << o.output;
    const at::Tensor x = pita::read_npy((dir_ / "a/T1.5/samples.npy").string());
    EXPECT_EQ(x.sizes(), (std::vector<int64_t>{16, 13, 3}));
    EXPECT_LT(x.mean(1).abs().max().item<double>(), 1e-5);  // mean-free
    nlohmann::json s = nlohmann::json::parse(std::ifstream(dir_ / "a/anneal.json"));
    EXPECT_NEAR(s["gamma"].get<double>(), 2.0 / 1.5, 1e-12);
    EXPECT_EQ(s["drift"], "balanced");
    EXPECT_EQ(s["score_weight"], 1.0);
    EXPECT_EQ(s["energy_evaluations"]["correction"], 16);
    EXPECT_EQ(s["sde"]["resampling_events"], 5);
    std::ifstream diag(dir_ / "a/anneal/diagnostics.csv");
    std::string line;
    int lines = 0;
    while (std::getline(diag, line)) ++lines;
    EXPECT_EQ(lines, 6);  // header + 5 steps

    // pita evaluate counts the sampler's evaluations from anneal.json (it reported 0 before).
    const Outcome scored = run_pita("evaluate " + (dir_ / "a").string());
    ASSERT_EQ(scored.exit_code, 0) << scored.output;
    const nlohmann::json e = nlohmann::json::parse(std::ifstream(dir_ / "a/evaluation.json"));
    EXPECT_EQ(e["sampler_energy_evaluations"].get<int64_t>(),
              s["energy_evaluations"]["correction"].get<int64_t>() +
                  s["energy_evaluations"]["relaxation"].get<int64_t>());
    EXPECT_GT(e["sampler_energy_evaluations"].get<int64_t>(), 16);

    const Outcome up =
        run_pita("anneal " + anneal_cfg + " anneal.temperature=3 --out " + (dir_ / "b").string());
    EXPECT_EQ(up.exit_code, 2);
    EXPECT_THAT(up.output, HasSubstr("Annealing lowers the temperature"));
}

}  // namespace
