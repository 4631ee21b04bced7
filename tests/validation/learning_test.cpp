// Learning works (validation tier, ~20 s on 2 cores): trained on exact samples of a 2-D Gaussian
// mixture, the score model matches the exact noised score and the energy model matches −log p_h
// up to a constant, across noise levels. The oracles are the mixture's analytic noised marginals.
// Measured (seed 7, 3000 steps, clip 0.5): score relative MSE 0.031 / 0.0093 / 0.0025 / 0.0009
// and energy 0.12 / 0.0078 / 0.0034 / 0.0007 at h = 0.01 / 0.1 / 1 / 10. Tolerances 0.1 (score)
// and 0.25 (energy) leave about 2-3x room for seed-to-seed variation of the optimiser.
// The energy-matching term is OFF here: with it at weight 1 (the reference recipe) and
// σ_min = 0.01, the energy error stays at 4.4 / 2.1 / 0.76 / 0.015 (the pinning loss, whose
// network term is scaled by 1/σ_min = 100, swamps the distillation gradient). Open in issue 3.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "pita/core/rng.h"
#include "pita/energy/gaussian_mixture.h"
#include "pita/model/mlp.h"
#include "pita/train/trainer.h"

namespace pita {
namespace {

TEST(LearningValidation, MlpLearnsTheNoisedScoreAndEnergyOfAMixture) {
    const at::Tensor means =
        at::tensor({-2.0, -2.0, 2.0, -2.0, -2.0, 2.0, 2.0, 2.0}, at::kDouble).view({4, 2});
    GaussianMixture gmm(means, at::full({4}, 0.5, at::kDouble),
                        at::tensor({0.4, 0.3, 0.2, 0.1}, at::kDouble));
    at::Generator gen = make_generator(7);
    const at::Tensor x = gmm.sample(20000, 0.0, gen).view({-1, 1, 2}).to(at::kFloat);
    const EnergyAndForce ef = gmm.energy_and_force(x);
    ReplayBuffer buffer(1.0, 1.0, 20000, "exact");
    buffer.add(x, -ef.energy, ef.force);

    MlpOptions mo;
    mo.n_particles = 1;
    mo.spatial_dim = 2;
    mo.hidden = 128;
    mo.n_layers = 3;
    ScoreModel score(std::make_unique<Mlp>(mo));
    EnergyModel energy(score.backbone().clone());
    TrainerOptions to;
    to.batch_size = 256;
    to.losses.weights.energy_matching = 0.0;  // see the header comment
    to.losses.h_min = 0.01 * 0.01;
    to.losses.score_h_threshold = 0.01 * 0.01;
    Trainer trainer(score, energy, NoiseSchedule::elucidating(0.01), to, false);
    for (int i = 0; i < 3000; ++i) trainer.step({buffer}, gen);
    trainer.copy_ema_to(score, energy);

    for (double h : {0.01, 0.1, 1.0, 10.0}) {
        const at::Tensor xt = gmm.sample(4000, h, gen).to(at::kFloat);
        const at::Tensor hs = at::full({4000}, h, at::kFloat);
        const at::Tensor exact = gmm.score(xt, hs);
        const at::Tensor learned =
            score.score(xt.view({-1, 1, 2}), hs, at::ones({4000})).view({-1, 2}).detach();
        const double rel =
            ((learned - exact).pow(2).sum(1).mean() / exact.pow(2).sum(1).mean()).item<double>();
        RecordProperty("score_relative_mse_h" + std::to_string(h), std::to_string(rel));
        EXPECT_LT(rel, 0.1) << "h=" << h;
        const at::Tensor u = energy.energy(xt.view({-1, 1, 2}), hs, at::ones({4000})).detach();
        const at::Tensor target = -gmm.log_prob(xt, hs);
        const at::Tensor diff = (u - target) - (u - target).mean();
        const double rel_e = (diff.pow(2).mean() / target.var()).item<double>();
        RecordProperty("energy_relative_mse_h" + std::to_string(h), std::to_string(rel_e));
        EXPECT_LT(rel_e, 0.25) << "h=" << h;
    }
}

}  // namespace
}  // namespace pita
