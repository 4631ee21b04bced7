#include "pita/train/losses.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "pita/core/rng.h"
#include "pita/energy/gaussian_mixture.h"
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

/// The heat-equation residual of the exact noised density, and of the same density with the
/// energy's variance off by 20 %: at h = 0.05, 0.5 and 5, for samples of the noised density.
struct ResidualSpread {
    double max_abs_exact = 0.0;  ///< max |h·r| over all rows (0 by the heat equation)
    double spread_wrong = 0.0;   ///< the within-level variance of h·r for the wrong energy
};

ResidualSpread mixture_residuals() {
    const at::Tensor means = at::tensor({0.0, 0.0, 0.0, 2.0, -1.0, 1.0}, at::kDouble).view({2, 3});
    const at::Tensor weights = at::tensor({0.3, 0.7}, at::kDouble);
    const GaussianMixture exact(means, at::tensor({0.2, 0.5}, at::kDouble), weights);
    const GaussianMixture wrong(means, at::tensor({0.24, 0.6}, at::kDouble), weights);
    at::Generator gen = make_generator(11);
    ResidualSpread out;
    std::vector<at::Tensor> wrong_rows;
    for (const double hv : {0.05, 0.5, 5.0}) {
        const at::Tensor x = exact.sample(64, hv, gen);
        const at::Tensor h = at::full({64}, hv, at::kDouble);
        const at::Tensor hs = at::scalar_tensor(hv, at::kDouble);
        // U = −log q_h, s = ∇log q_h; shapes [B, n = 1, d = 3].
        auto residual = [&](const GaussianMixture& u_density) {
            const at::Tensor s = exact.score(x, hs).view({64, 1, 3});
            const at::Tensor grad_u = -u_density.score(x, hs).view({64, 1, 3});
            return heat_equation_residual(h, -u_density.dlogp_dh(x, hs), grad_u, s,
                                          exact.laplacian(x, hs));
        };
        out.max_abs_exact = std::max(out.max_abs_exact, residual(exact).abs().max().item<double>());
        wrong_rows.push_back(residual(wrong));
    }
    out.spread_wrong = within_group_variance(at::cat(wrong_rows), 64).item<double>();
    return out;
}

TEST(Losses, HeatEquationResidualVanishesForTheExactNoisedMixtureOnly) {
    // The oracle: for U = −log q_h and s = ∇log q_h of a Gaussian mixture, r = 0 at every x
    // and h (the heat equation; 1e-10 is float64 round-off on terms of size ~10). An energy of
    // another density leaves r varying across x, which the loss measures.
    const ResidualSpread r = mixture_residuals();
    EXPECT_LT(r.max_abs_exact, 1e-10);
    EXPECT_GT(r.spread_wrong, 1e-3);
}

TEST(Losses, EnergyConsistencyIsZeroForFreshModelsAndTrainsOnlyTheEnergyNetwork) {
    // Fresh models are one Gaussian, N(0, (1 + h)I): D_S = x/(1 + h), U = |x|²/(2(1 + h)), so
    // h·r = −h·D/(2(1 + h)) at every x, and a Rademacher probe's estimate of ∇·s = −D/(1 + h)
    // is exact (εᵀε = D). Rows in groups of 4 share h.
    ScoreModel score(small_mlp());
    EnergyModel energy(small_mlp());
    const LossBatch batch = batch_of(16, 7);
    at::Generator gen = make_generator(8);
    const at::Tensor noise = at::randn({16, 3, 2}, gen, at::kDouble);
    const at::Tensor h = noise_level_groups(at::tensor({0.01, 0.3, 1.0, 9.0}, at::kDouble), 4);
    ASSERT_EQ(h.size(0), 16);
    EXPECT_EQ(h[5].item<double>(), 0.3);
    LossOptions o;
    o.weights = {0.0, 0.0, 0.0, 0.0, 1.0};  // energy_consistency only
    o.consistency_group = 4;
    EXPECT_LT(
        compute_losses(score, energy, batch, h, noise, o, &gen).energy_consistency.item<double>(),
        1e-24);

    // A trained-looking energy network (random output layer): the residual varies with x, and
    // the term's gradient reaches the energy network only.
    {
        at::NoGradGuard no_grad;
        for (auto& [name, p] : energy.backbone().named_parameters()) p.normal_(0.0, 0.3);
    }
    const LossTerms t = compute_losses(score, energy, batch, h, noise, o, &gen);
    EXPECT_GT(t.energy_consistency.item<double>(), 1e-6);
    t.total.backward();
    double score_grad = 0, energy_grad = 0;
    for (auto& [name, p] : score.backbone().named_parameters())
        if (p.grad().defined()) score_grad += p.grad().pow(2).sum().item<double>();
    for (auto& [name, p] : energy.backbone().named_parameters())
        if (p.grad().defined()) energy_grad += p.grad().pow(2).sum().item<double>();
    EXPECT_EQ(score_grad, 0.0);
    EXPECT_GT(energy_grad, 0.0);
}

}  // namespace
}  // namespace pita
