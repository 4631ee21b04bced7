#include "pita/train/losses.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "pita/core/rng.h"
#include "pita/model/mlp.h"

namespace pita {
namespace {

std::unique_ptr<Mlp> small_mlp() {
    MlpOptions o;
    o.n_particles = 3;
    o.spatial_dim = 2;
    o.hidden = 8;
    o.n_layers = 1;
    auto m = std::make_unique<Mlp>(o);
    m->to(c10::Device(c10::kCPU), at::kDouble);
    return m;
}

LossBatch batch_of(int64_t b, uint64_t seed) {
    at::Generator gen = make_generator(seed);
    LossBatch batch;
    batch.x0 = at::randn({b, 3, 2}, gen, at::kDouble);
    batch.log_p0 = -0.5 * batch.x0.pow(2).sum({1, 2});  // a standard normal target
    batch.grad_log_p0 = -batch.x0;
    batch.beta = at::ones({b}, at::kDouble);
    return batch;
}

TEST(Losses, FreshModelsGiveTheClosedFormScoreAndEnergyMatchingLosses) {
    // Zero-initialised output layers: D_S = x_t/(1+h) and U = |x|²/(2(1+h)).
    ScoreModel score(small_mlp());
    EnergyModel energy(small_mlp());
    const LossBatch batch = batch_of(16, 1);
    at::Generator gen = make_generator(2);
    const at::Tensor noise = at::randn({16, 3, 2}, gen, at::kDouble);
    const at::Tensor h = at::logspace(-3, 1, 16, 10.0, at::kDouble);
    LossOptions o;
    o.h_min = 0.01;
    o.score_h_threshold = 0.0;
    const LossTerms t = compute_losses(score, energy, batch, h, noise, o);
    const at::Tensor h3 = h.view({-1, 1, 1});
    const at::Tensor x_t = batch.x0 + h3.sqrt() * noise;
    const at::Tensor dsm = ((1 + h) / h * (x_t / (1 + h3) - batch.x0).pow(2).sum({1, 2})).mean();
    EXPECT_NEAR(t.score.item<double>(), dsm.item<double>(), 1e-12 * dsm.item<double>());
    const at::Tensor u0 = batch.x0.pow(2).sum({1, 2}) / (2 * 1.01);
    const at::Tensor em = (-batch.log_p0 - u0).pow(2).mean();
    EXPECT_NEAR(t.energy_matching.item<double>(), em.item<double>(), 1e-12);
    // Both fresh denoisers are x_t/(1+h): nothing to distil.
    EXPECT_NEAR(t.energy_score.item<double>(), 0.0, 1e-20);
    EXPECT_FALSE(t.target_score.defined());  // weight 0: not computed
}

TEST(Losses, EachTermTrainsOnlyItsNetwork) {
    ScoreModel score(small_mlp());
    EnergyModel energy(small_mlp());
    const LossBatch batch = batch_of(8, 3);
    const at::Tensor noise = at::randn({8, 3, 2}, at::kDouble);
    const at::Tensor h = at::full({8}, 0.5, at::kDouble);
    auto grad_norm = [](Backbone& b) {
        double s = 0;
        for (auto& [name, p] : b.named_parameters())
            if (p.grad().defined()) s += p.grad().pow(2).sum().item<double>();
        return s;
    };
    auto reset = [](Backbone& b) {
        for (auto& [name, p] : b.named_parameters()) p.mutable_grad() = at::Tensor();
    };
    LossOptions o;
    o.weights = {0.0, 1.0, 0.0, 0.0};  // energy_score only
    compute_losses(score, energy, batch, h, noise, o).total.backward();
    EXPECT_EQ(grad_norm(score.backbone()), 0.0);
    EXPECT_GT(grad_norm(energy.backbone()), 0.0);
    reset(energy.backbone());
    o.weights = {1.0, 0.0, 0.0, 0.0};  // score only
    compute_losses(score, energy, batch, h, noise, o).total.backward();
    EXPECT_GT(grad_norm(score.backbone()), 0.0);
    EXPECT_EQ(grad_norm(energy.backbone()), 0.0);
}

TEST(Losses, TargetScoreUsesOnlyLowNoiseRowsAndClipsTheTarget) {
    ScoreModel score(small_mlp());
    EnergyModel energy(small_mlp());
    LossBatch batch = batch_of(4, 5);
    batch.grad_log_p0 = batch.grad_log_p0 * 1e6;  // would dominate without the norm cap
    const at::Tensor noise = at::zeros({4, 3, 2}, at::kDouble);
    const at::Tensor h = at::tensor({0.01, 0.01, 5.0, 5.0}, at::kDouble);
    LossOptions o;
    o.weights = {0.0, 0.0, 0.0, 1.0};
    o.tsm_h_threshold = 0.1;
    o.max_score_norm = 10.0;
    const LossTerms t = compute_losses(score, energy, batch, h, noise, o);
    // Rows 0 and 1: x_t = x0, D_S = x0/1.01, clipped target contribution h·10 in norm.
    double expected = 0;
    for (int64_t r : {0, 1}) {
        const at::Tensor f = batch.grad_log_p0[r];
        const at::Tensor clipped = f * (10.0 / f.norm().item<double>());
        expected += (batch.x0[r] + 0.01 * clipped - batch.x0[r] / 1.01).pow(2).sum().item<double>();
    }
    EXPECT_NEAR(t.target_score.item<double>(), expected / 2, 1e-12);

    // λ-weighted (not the reference): both kept rows have h = 0.01, so the term scales by
    // λ = (1 + h)/h = 101 for σ_data = 1.
    o.tsm_lambda_weight = true;
    const LossTerms weighted = compute_losses(score, energy, batch, h, noise, o);
    EXPECT_NEAR(weighted.target_score.item<double>(), 101.0 * expected / 2, 1e-9);
}

}  // namespace
}  // namespace pita
