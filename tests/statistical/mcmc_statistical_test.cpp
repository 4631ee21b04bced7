// Seeded statistical checks of the samplers against targets with known answers. Each tolerance is
// a multiple of a standard error that accounts for autocorrelation (mean_with_error), so a
// correct sampler fails with probability < 1e-6 per assertion; failures say "(stochastic)".
#include <cmath>

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "pita/core/rng.h"
#include "pita/energy/gaussian_mixture.h"
#include "pita/energy/isotropic_gaussian.h"
#include "pita/energy/lennard_jones.h"
#include "pita/mcmc/autocorrelation.h"
#include "pita/mcmc/parallel_tempering.h"

namespace pita {
namespace {

constexpr double kSigmas = 5.0;  // P(|z| > 5) = 5.7e-7

TEST(AutocorrelationStatistical, RecoversTauOfAnAr1Process) {
    // x_t = φ x_{t−1} + sqrt(1−φ²) ε has τ = (1+φ)/(1−φ) = 19 for φ = 0.9.
    at::Generator gen = make_generator(21);
    const int64_t n = 20000;
    const int64_t chains = 16;
    const double phi = 0.9;
    at::Tensor eps = at::randn({n, chains}, gen, at::kDouble);
    at::Tensor x = at::empty({n, chains}, at::kDouble);
    x[0] = eps[0];
    for (int64_t t = 1; t < n; ++t) x[t] = phi * x[t - 1] + std::sqrt(1 - phi * phi) * eps[t];
    const AutocorrelationEstimate est = integrated_autocorrelation_time(x);
    // Sokal: relative sd of τ̂ ≈ sqrt(2(2M+1)/N) ≈ sqrt(2·191/320000) = 3.5%; allow 5 of those.
    EXPECT_NEAR(est.tau, 19.0, 19.0 * 0.17) << "(stochastic)";
    EXPECT_TRUE(est.converged);
}

TEST(MalaStatistical, GaussianMeanAndVarianceAtTemperature) {
    // p_T ∝ exp(−|x|²/(2 s² T)) so Var = s²·T per coordinate.
    const double s2 = 2.0;
    const double temperature = 1.5;
    IsotropicGaussian g(1, 3, s2);
    ParallelTemperingOptions o;
    o.temperatures = {temperature};
    o.chains_per_temperature = 256;
    o.warmup_steps = 500;
    o.production_steps = 4000;
    o.thin = 4;
    ParallelTempering pt(g, MalaOptions{}, o);
    at::Generator gen = make_generator(12345);
    const McmcResult r = pt.run(at::zeros({256, 1, 3}, at::kDouble), gen);
    const TemperatureSamples& t = r.per_temperature[0];
    const int64_t kept = t.x.size(0) / 256;
    const at::Tensor x = t.x.view({kept, 256, 3});
    for (int64_t k = 0; k < 3; ++k) {
        const MeanEstimate mean = mean_with_error(x.select(2, k));
        EXPECT_NEAR(mean.mean, 0.0, kSigmas * mean.standard_error)
            << "coordinate " << k << " (stochastic)";
        const MeanEstimate var = mean_with_error(x.select(2, k).pow(2));
        EXPECT_NEAR(var.mean, s2 * temperature, kSigmas * var.standard_error)
            << "coordinate " << k << " (stochastic)";
    }
}

TEST(ParallelTemperingStatistical, RecoversModeWeightsOfSeparatedMixture) {
    // Three modes 10 standard deviations apart: MALA alone never crosses at T = 1, so every chain
    // starts in mode 0 and the right occupancies can only come from the replica exchanges.
    const at::Tensor means = at::tensor({0.0, 0.0, 10.0, 0.0, 0.0, 10.0}, at::kDouble).view({3, 2});
    const at::Tensor weights = at::tensor({0.5, 0.3, 0.2}, at::kDouble);
    GaussianMixture gmm(means, at::ones({3}, at::kDouble), weights);
    ParallelTemperingOptions o;
    o.temperatures = {1.0, 1.8, 3.2, 5.8, 10.5, 19.0};
    o.chains_per_temperature = 64;
    o.warmup_steps = 500;
    o.production_steps = 6000;
    o.thin = 5;
    ParallelTempering pt(gmm, MalaOptions{}, o);
    at::Generator gen = make_generator(2024);
    const at::Tensor x0 = 0.1 * at::randn({6 * 64, 1, 2}, gen, at::kDouble);
    const McmcResult r = pt.run(x0, gen);
    const TemperatureSamples& cold = r.per_temperature[0];
    const int64_t kept = cold.x.size(0) / 64;
    const at::Tensor mode = gmm.mode_assignment(cold.x).view({kept, 64});
    for (int64_t k = 0; k < 3; ++k) {
        const MeanEstimate occ = mean_with_error(mode.eq(k).to(at::kDouble));
        EXPECT_NEAR(occ.mean, weights[k].item<double>(), kSigmas * occ.standard_error + 0.01)
            << "mode " << k << ", se " << occ.standard_error << " (stochastic)";
    }
    for (double a : r.swap_acceptance) EXPECT_GT(a, 0.1) << "ladder too sparse";
}

TEST(MalaStatistical, LennardJones13ConfigurationalTemperatureEqualsT) {
    // ⟨x·∇E⟩ = T·(3N − 3) on the mean-free subspace (integration by parts), for any T.
    LennardJones lj;
    ParallelTemperingOptions o;
    o.temperatures = {2.0};
    o.chains_per_temperature = 128;
    o.warmup_steps = 1000;
    o.production_steps = 4000;
    o.thin = 10;
    ParallelTempering pt(lj, MalaOptions{}, o);
    at::Generator gen = make_generator(77);
    const McmcResult r = pt.run(lj.initial_configurations(128, gen), gen);
    const MeanEstimate& tc = r.per_temperature[0].configurational_temperature;
    EXPECT_NEAR(tc.mean, 2.0, kSigmas * tc.standard_error)
        << "se " << tc.standard_error << " (stochastic)";
    EXPECT_LT(tc.standard_error, 0.05);  // the test must be able to fail
}

}  // namespace
}  // namespace pita

namespace pita {
namespace {

TEST(ParallelTemperingStatistical, Gmm40OccupancyMatchesExactMixture) {
    // The spec's 40-mode mixture (modes ~10 apart, std 1.31): every chain starts at the origin,
    // only the hot replicas cross between modes. Expected occupancy of each mode's basin comes
    // from 400 000 exact samples assigned the same way (some modes overlap, so it is not 1/40).
    const auto gmm = GaussianMixture::pita_gmm40();
    at::Generator gen = make_generator(40);
    const at::Tensor exact = gmm->mode_assignment(gmm->sample(400000, 0.0, gen));
    const at::Tensor expected = at::bincount(exact, {}, 40).to(at::kDouble) / 400000.0;

    ParallelTemperingOptions o;
    o.temperatures = {1.0, 1.5, 2.2, 3.3, 5.0, 7.5, 11.0, 17.0, 25.0, 38.0};
    o.chains_per_temperature = 128;
    o.warmup_steps = 1000;
    o.production_steps = 8000;
    o.thin = 20;
    ParallelTempering pt(*gmm, MalaOptions{1e-2}, o);
    const McmcResult r = pt.run(0.1 * at::randn({10 * 128, 1, 2}, gen, at::kDouble), gen);
    const TemperatureSamples& cold = r.per_temperature[0];
    const at::Tensor observed =
        at::bincount(gmm->mode_assignment(cold.x), {}, 40).to(at::kDouble) / cold.x.size(0);
    const double tv = 0.5 * (observed - expected).abs().sum().item<double>();
    RecordProperty("total_variation", std::to_string(tv));
    // Noise floor: with n_eff effective samples, E[TV] ≈ ½ Σ_k sqrt(2 p_k/(π n_eff)) ≈ 0.03 for
    // n_eff ≈ 10 000 over 40 equal modes; 0.08 is ~5 of its standard deviations above it.
    EXPECT_LT(tv, 0.08) << "(stochastic) effective samples " << cold.energy_tau.effective_samples;
    EXPECT_GT(observed.gt(0).sum().item<int64_t>(), 36) << "modes never visited";
}

}  // namespace
}  // namespace pita
