#include <cmath>

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "pita/anneal/end_of_trajectory.h"
#include "pita/core/rng.h"
#include "pita/energy/isotropic_gaussian.h"

namespace pita {
namespace {

// Data N(0, 1) annealed by γ = 2 is exactly N(0, 1/2) = the target at T = 1 of an isotropic
// Gaussian of variance 1/2 (E = −log p). Exact samples of it, carried with zero log-weights,
// need no correction: the weights −E/T + γU_0 are constant up to h(0) = 1e-4 terms, ESS ≈ N.
TEST(EndOfTrajectory, CorrectionLeavesExactSamplesAloneAndKillsNonFiniteOnes) {
    const double gamma = 2.0;
    IsotropicGaussian data(4, 3, 1.0);
    IsotropicGaussian target(4, 3, 1.0 / gamma);
    const NoiseSchedule schedule = NoiseSchedule::elucidating(0.01);
    ExactAnnealingModel model(data, schedule, 4, 3);
    at::Generator gen = make_generator(6);
    at::Tensor x = at::randn({1000, 4, 3}, gen, at::kDouble) * std::sqrt(1.0 / gamma);
    x[17][2][1] = NAN;
    const CorrectionResult r =
        correct_to_target(target, 1.0, model, gamma, x, at::zeros({1000}, at::kDouble),
                          ResamplingScheme::Systematic, 0.0, gen);
    EXPECT_GT(r.ess, 0.99 * 999);
    EXPECT_EQ(r.non_finite, 1);
    EXPECT_EQ(r.energy_evaluations, 1000);
    EXPECT_TRUE(at::isfinite(r.x).all().item<bool>());
    EXPECT_TRUE(at::allclose(r.energy, target.energy(r.x)));
}

// Over-dispersed samples (variance 4× the target's) are pulled in by the relaxation.
TEST(EndOfTrajectory, RelaxationMovesSamplesTowardsTheTargetWithAWorkingStepSize) {
    IsotropicGaussian target(1, 6, 1.0);
    at::Generator gen = make_generator(9);
    at::Tensor x = at::randn({2000, 1, 6}, gen, at::kDouble) * 2.0;
    x[5][0][0] = INFINITY;
    const RelaxationResult r = relax_on_target(target, 1.0, x, 200, 1e-3, gen);
    EXPECT_GT(r.step_size, 0.1) << "adaptation must reach a useful step (the optimum is ~1.4)";
    EXPECT_GT(r.acceptance, 0.3);
    const at::Tensor finite = at::isfinite(r.energy);
    EXPECT_EQ(finite.logical_not().sum().item<int64_t>(), 1);  // the bad row is kept, flagged
    const at::Tensor good = r.x.index_select(0, finite.nonzero().squeeze(1));
    // 200 steps from variance 4: within 20 % of the target's 1 (sampling error ~2 %).
    EXPECT_NEAR(good.var().item<double>(), 1.0, 0.2);
    EXPECT_EQ(r.energy_evaluations, 2000 + 1999 * 201);
}

}  // namespace
}  // namespace pita
