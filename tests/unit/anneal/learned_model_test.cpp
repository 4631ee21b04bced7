// The learned annealing model (networks → drift inputs) against the exact oracle: a fresh
// preconditioned model (zero output layer) is exactly the model of N(0, (σ_data² + h)I), so
// every drift input must equal the closed forms of IsotropicGaussian(variance σ_data²). This pins
// the plumbing between the networks and the SDE (h(t), ∂U/∂t = ∂U/∂h·dh/dt, β, the divergence),
// which the oracle tests of the annealer never touch.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "pita/anneal/annealing_model.h"
#include "pita/core/rng.h"
#include "pita/energy/isotropic_gaussian.h"
#include "pita/model/energy_model.h"
#include "pita/model/mlp.h"
#include "pita/model/score_model.h"
#include "pita/schedule/noise_schedule.h"

namespace pita {
namespace {

at::Tensor centred(const at::Tensor& v) { return v - v.mean(); }

void expect_fresh_model_is_exact(double sigma_data) {
    MlpOptions mo;
    mo.n_particles = 1;
    mo.spatial_dim = 3;
    mo.hidden = 16;
    mo.n_layers = 2;
    ScoreModel score(std::make_unique<Mlp>(mo), sigma_data);
    EnergyModel energy(std::make_unique<Mlp>(mo), sigma_data);
    score.backbone().to(at::kCPU, at::kDouble);
    energy.backbone().to(at::kCPU, at::kDouble);
    const NoiseSchedule schedule = NoiseSchedule::elucidating(0.05);
    LearnedModelOptions lo;
    lo.beta = 1.7;
    const LearnedAnnealingModel learned(score, energy, schedule, lo);
    const IsotropicGaussian gaussian(1, 3, sigma_data * sigma_data);
    const ExactAnnealingModel exact(gaussian, schedule, 1, 3);

    at::Generator gen = make_generator(3);
    const at::Tensor x = at::randn({64, 1, 3}, gen, at::kDouble) * 2.0;
    for (double t : {0.02, 0.3, 0.9}) {
        const DriftInputs a = learned.evaluate(x, t, true, gen);
        const DriftInputs b = exact.evaluate(x, t, true, gen);
        EXPECT_TRUE(at::allclose(a.score, b.score, 1e-12, 1e-12))
            << "t " << t << " sigma_data " << sigma_data;
        EXPECT_TRUE(at::allclose(a.grad_u, b.grad_u, 1e-12, 1e-12))
            << "t " << t << " sigma_data " << sigma_data;
        EXPECT_TRUE(at::allclose(a.div_score, b.div_score, 1e-10, 1e-10))
            << "t " << t << " sigma_data " << sigma_data;
        // U and ∂U/∂t: the model omits the normalising constant, which depends on h only.
        EXPECT_TRUE(at::allclose(centred(a.u), centred(b.u), 1e-10, 1e-10))
            << "t " << t << " sigma_data " << sigma_data;
        EXPECT_TRUE(at::allclose(centred(a.du_dt), centred(b.du_dt), 1e-8, 1e-8))
            << "t " << t << " sigma_data " << sigma_data;
        EXPECT_TRUE(
            at::allclose(centred(learned.energy(x, t)), centred(exact.energy(x, t)), 1e-10, 1e-10));
    }
}

TEST(LearnedAnnealingModel, FreshModelEqualsTheExactGaussianModelOfItsSigmaData) {
    expect_fresh_model_is_exact(1.0);  // the reference's σ_data: N(0, (1+h)I)
    expect_fresh_model_is_exact(1.9);  // N(0, (σ_data² + h)I)
}

}  // namespace
}  // namespace pita
