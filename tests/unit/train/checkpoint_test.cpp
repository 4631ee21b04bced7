// Checkpoints, loss logs, datasets and the backbone factory: the pieces `pita train` is built
// from. The key property: a run stopped at a checkpoint and resumed ends bitwise-equal to an
// uninterrupted run with the same seed (CPU).
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <ATen/ATen.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "pita/config/config.h"
#include "pita/core/error.h"
#include "pita/core/rng.h"
#include "pita/energy/lennard_jones.h"
#include "pita/model/backbone_factory.h"
#include "pita/model/egnn.h"
#include "pita/train/checkpoint.h"
#include "pita/train/dataset.h"
#include "pita/train/trainer_config.h"
#include "pita/train/training_log.h"
#include "support/test_helpers.h"

namespace pita {
namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;

fs::path scratch(const std::string& name) {
    const fs::path p =
        fs::temp_directory_path() / ("pita_ckpt_" + std::to_string(::getpid()) + "_" + name);
    fs::remove_all(p);
    fs::create_directories(p);
    return p;
}

/// A small LJ-like training setup: 5 particles in 3-D, EGNN of width 8, two buffers.
struct TrainingRun {
    ScoreModel score;
    EnergyModel energy;
    Trainer trainer;
    std::vector<ReplayBuffer> buffers;
    at::Generator gen;

    static std::unique_ptr<Backbone> backbone(int64_t hidden) {
        const Config cfg = Config::from_string(
            "model:\n  backbone: egnn\n  hidden: " + std::to_string(hidden) + "\n  n_layers: 2\n");
        return make_backbone(cfg.root().child("model"), 5, 3, /*init_seed=*/11);
    }
    static TrainerOptions options() {
        TrainerOptions o;
        o.batch_size = 16;
        o.losses.weights.target_score = 0.01;  // exercise every loss
        o.losses.h_min = 0.0025;
        o.losses.tsm_h_threshold = 0.2;
        return o;
    }
    explicit TrainingRun(int64_t hidden = 8)
        : score(backbone(hidden)),
          energy(score.backbone().clone()),
          trainer(score, energy, NoiseSchedule::elucidating(0.05), options(), true),
          gen(make_generator(99)) {
        at::Generator data_gen = make_generator(5);
        for (double t : {2.0, 1.0}) {
            const at::Tensor x = at::randn({64, 5, 3}, data_gen, at::kFloat);
            ReplayBuffer b(t, 2.0 / t, 1000, "test");
            b.add(x, -x.pow(2).sum({1, 2}) / t, -x / t);
            buffers.push_back(std::move(b));
        }
    }
    void steps(int n) {
        for (int i = 0; i < n; ++i) trainer.step(buffers, gen);
    }
};

void expect_same_weights(const Backbone& a, const Backbone& b) {
    const NamedTensors pa = a.named_parameters();
    const NamedTensors pb = b.named_parameters();
    ASSERT_EQ(pa.size(), pb.size());
    for (std::size_t i = 0; i < pa.size(); ++i)
        EXPECT_TRUE(at::equal(pa[i].second, pb[i].second)) << pa[i].first;
}

/// Both networks and both EMAs (what sampling uses) of two trainings are equal.
void expect_same_networks_and_emas(const TrainingRun& a, const TrainingRun& b) {
    expect_same_weights(a.score.backbone(), b.score.backbone());
    expect_same_weights(a.energy.backbone(), b.energy.backbone());
    TrainingRun ema_a, ema_b;
    a.trainer.copy_ema_to(ema_a.score, ema_a.energy);
    b.trainer.copy_ema_to(ema_b.score, ema_b.energy);
    expect_same_weights(ema_a.score.backbone(), ema_b.score.backbone());
    expect_same_weights(ema_a.energy.backbone(), ema_b.energy.backbone());
}

TEST(Checkpoint, ResumedTrainingIsBitwiseEqualToAnUninterruptedRun) {
    const fs::path dir = scratch("resume");
    TrainingRun straight;
    straight.steps(8);

    {
        TrainingRun first;
        first.steps(4);
        save_checkpoint((dir / "c.pt").string(), first.trainer, first.buffers, first.gen,
                        {{"stage", 3}});
    }  // the interrupted process is gone
    TrainingRun resumed;
    resumed.buffers.clear();
    const nlohmann::json record =
        load_checkpoint((dir / "c.pt").string(), resumed.trainer, resumed.buffers, resumed.gen);
    EXPECT_EQ(record["stage"], 3);
    EXPECT_EQ(resumed.trainer.steps(), 4);
    ASSERT_EQ(resumed.buffers.size(), 2u);
    EXPECT_EQ(resumed.buffers[1].temperature(), 1.0);
    EXPECT_EQ(resumed.buffers[1].provenance(), "test");
    resumed.steps(4);

    EXPECT_EQ(resumed.trainer.steps(), 8);
    expect_same_networks_and_emas(straight, resumed);  // the EMAs continue identically too
    fs::remove_all(dir);
}

TEST(Checkpoint, WarmStartTakesTheNetworksAndTheirEmasOnly) {
    // train.init_from: a new training starts from an earlier run's networks and EMAs, at step 0
    // with a fresh optimiser and its own data; a checkpoint of another model section is refused.
    const fs::path dir = scratch("warm");
    const nlohmann::json model = {{"backbone", "egnn"}, {"hidden", 8}};
    TrainingRun trained;
    trained.steps(4);
    save_checkpoint((dir / "c.pt").string(), trained.trainer, trained.buffers, trained.gen,
                    {{"config", {{"model", model}}}});
    TrainingRun warm;
    warm.buffers.pop_back();  // its own data: one buffer, which the warm start leaves alone
    load_network_weights((dir / "c.pt").string(), warm.trainer, model);
    EXPECT_EQ(warm.trainer.steps(), 0);
    EXPECT_EQ(warm.buffers.size(), 1u);
    expect_same_networks_and_emas(trained, warm);
    warm.steps(1);  // and it trains on
    EXPECT_EQ(warm.trainer.steps(), 1);

    TrainingRun other;
    EXPECT_THAT(testing::error_message([&] {
                    load_network_weights((dir / "c.pt").string(), other.trainer,
                                         {{"backbone", "egnn"}, {"hidden", 16}});
                }),
                HasSubstr("model section"));
    fs::remove_all(dir);
}

TEST(Checkpoint, RefusesAnotherArchitectureAndDamagedOrMissingFiles) {
    const fs::path dir = scratch("refuse");
    TrainingRun small(8);
    small.steps(1);
    save_checkpoint((dir / "c.pt").string(), small.trainer, small.buffers, small.gen, {});
    TrainingRun wide(16);
    EXPECT_THAT(testing::error_message([&] {
                    load_checkpoint((dir / "c.pt").string(), wide.trainer, wide.buffers, wide.gen);
                }),
                HasSubstr("different model configuration"));
    std::ofstream(dir / "junk.pt") << "not a checkpoint";
    EXPECT_THROW(read_checkpoint_record((dir / "junk.pt").string()), IoError);
    try {
        read_checkpoint_record((dir / "missing.pt").string());
        FAIL();
    } catch (const IoError& e) {
        EXPECT_THAT(e.what(), HasSubstr("no checkpoint at"));
    }
    fs::remove_all(dir);
}

TEST(TrainingLog, WritesAHeaderOnceAndDropsRowsPastTheCheckpointOnResume) {
    const fs::path dir = scratch("log");
    const std::string path = (dir / "losses.csv").string();
    LossTerms t;
    t.total = at::scalar_tensor(1.5);
    t.score = at::scalar_tensor(0.5);
    {
        TrainingLog log(path);
        for (int64_t s = 10; s <= 40; s += 10) log.append({0, s, 2.0, t, 3.0, 0.1});
    }
    {
        TrainingLog log(path, /*keep_through_step=*/20);  // the checkpoint was at step 20
        log.append({0, 30, 2.0, t, 3.0, 0.2});
    }
    std::ifstream in(path);
    std::stringstream all;
    all << in.rdbuf();
    EXPECT_EQ(all.str(), std::string(TrainingLog::header()) +
                             "\n0,10,2,1.5,0.5,,,,,3,0.100\n0,20,2,1.5,0.5,,,,,3,0.100\n"
                             "0,30,2,1.5,0.5,,,,,3,0.200\n");
    fs::remove_all(dir);
}

TEST(Dataset, BuildsBuffersFromSamplesAndNamesBadInput) {
    LennardJones lj;
    at::Generator gen = make_generator(2);
    const at::Tensor x = lj.initial_configurations(8, gen);
    const ReplayBuffer b = make_buffer(lj, x.view({8, 39}), 2.0, 2.0, 6, "mcmc", at::kFloat,
                                       "x.npy");  // the flat layout is accepted
    EXPECT_EQ(b.size(), 6);                       // the newest 6 of 8 kept
    const EnergyAndForce ef = lj.energy_and_force(x.slice(0, 2));
    EXPECT_TRUE(at::allclose(b.log_p(), (-ef.energy / 2.0).to(at::kFloat)));
    EXPECT_TRUE(at::allclose(b.grad_log_p(), (ef.force / 2.0).to(at::kFloat)));

    EXPECT_THAT(
        testing::error_message([&] {
            check_samples(at::zeros({4, 12, 3}), lj, "a.npy");
        }),
        HasSubstr("'a.npy' has shape [4, 12, 3]; the target lennard_jones needs [m, 13, 3]"));
    at::Tensor bad = x.clone();
    bad[5][2][1] = NAN;
    EXPECT_THAT(testing::error_message([&] { check_samples(bad, lj, "b.npy"); }),
                HasSubstr("1 of 8 samples have NaN or infinite coordinates (first: row 5)"));
    at::Tensor overlap = x.clone();
    overlap[3][1] = overlap[3][0];  // two particles on top of each other: E is huge but finite
    EXPECT_NO_THROW(check_samples(overlap, lj, "c.npy"));
}

TEST(BackboneFactory, BuildsTheNamedBackboneAndRejectsUnknownOnes) {
    Config cfg = Config::from_string("model:\n  backbone: mlp\n  hidden: 16\n  n_layers: 2\n");
    auto mlp = make_backbone(cfg.root().child("model"), 1, 2, 0);
    EXPECT_EQ(mlp->name(), "mlp");
    EXPECT_EQ(mlp->config()["hidden"], 16);
    cfg.finish();

    // The same seed gives the same initial weights.
    Config e1 = Config::from_string("model: {backbone: egnn, hidden: 8}");
    auto a = make_backbone(e1.root().child("model"), 4, 3, 7);
    auto b = make_backbone(e1.root().child("model"), 4, 3, 7);
    expect_same_weights(*a, *b);

    Config typo = Config::from_string("model:\n  backbone: egn\n");
    make_backbone(typo.root().child("model"), 4, 3, 0);
    EXPECT_THAT(testing::error_message([&] { typo.finish(); }), HasSubstr("Did you mean 'egnn'?"));
    // An option the chosen backbone does not have is reported, not ignored.
    Config extra = Config::from_string("model:\n  backbone: egnn\n  n_blocks: 6\n");
    make_backbone(extra.root().child("model"), 4, 3, 0);
    EXPECT_THAT(testing::error_message([&] { extra.finish(); }), HasSubstr("n_blocks"));
}

TEST(TrainerConfig, ReadsTheReferenceDefaultsAndConvertsTimeThresholds) {
    const NoiseSchedule s = NoiseSchedule::elucidating(0.05);
    Config cfg = Config::from_string("train:\n  losses:\n    target_score: 0.01\n");
    const TrainerOptions o = read_trainer_options(cfg.root().child("train"), s);
    cfg.finish();
    EXPECT_EQ(o.batch_size, 512);
    EXPECT_EQ(o.grad_clip, 0.5);
    EXPECT_EQ(o.losses.weights.target_score, 0.01);
    EXPECT_DOUBLE_EQ(o.losses.h_min, 0.05 * 0.05);
    EXPECT_DOUBLE_EQ(o.losses.tsm_h_threshold, s.h(0.2));

    Config bad = Config::from_string("train:\n  batch_size: 0\n  losses:\n    score: -1\n");
    read_trainer_options(bad.root().child("train"), s);
    const std::string msg = testing::error_message([&] { bad.finish(); });
    EXPECT_THAT(msg, HasSubstr("batch_size"));
    EXPECT_THAT(msg, HasSubstr("losses.score"));

    // energy_consistency groups rows by noise level: the group must divide the batch.
    Config grouped =
        Config::from_string("train:\n  batch_size: 128\n  losses:\n    energy_consistency: 0.1\n");
    EXPECT_EQ(read_trainer_options(grouped.root().child("train"), s).losses.consistency_group, 8);
    grouped.finish();
    Config uneven = Config::from_string(
        "train:\n  batch_size: 100\n  losses:\n    energy_consistency: 0.1\n    "
        "consistency_group: 8\n");
    read_trainer_options(uneven.root().child("train"), s);
    const std::string uneven_msg = testing::error_message([&] { uneven.finish(); });
    EXPECT_THAT(uneven_msg, HasSubstr("losses.consistency_group"));
    EXPECT_THAT(uneven_msg, HasSubstr("batch_size = 100"));
}

}  // namespace
}  // namespace pita
