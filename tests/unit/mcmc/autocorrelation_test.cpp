// The integrated autocorrelation time and the error bars built on it must never claim more
// information than the series holds (issue 12): τ ≥ 1, ESS ≤ the number of samples, and a series
// too short or constant is reported as such instead of as a precise, converged estimate.
#include <cmath>
#include <string>

#include <ATen/ATen.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "pita/core/rng.h"
#include "pita/mcmc/autocorrelation.h"

namespace pita {
namespace {

using ::testing::HasSubstr;

/// x_t = φ x_{t−1} + sqrt(1 − φ²) ε_t, [n, chains].
at::Tensor ar1(int64_t n, int64_t chains, double phi, uint64_t seed) {
    at::Generator gen = make_generator(seed);
    const at::Tensor eps = at::randn({n, chains}, gen, at::kDouble);
    at::Tensor x = at::empty({n, chains}, at::kDouble);
    x[0] = eps[0];
    for (int64_t t = 1; t < n; ++t) x[t] = phi * x[t - 1] + std::sqrt(1 - phi * phi) * eps[t];
    return x;
}

TEST(Autocorrelation, FourChainsOfFourSamplesAreTooShortToEstimate) {
    // What `pita mcmc` with 4 chains × 4 kept samples produced: τ 1e-12, ESS 1.6e13, converged.
    // Alternating signs are the extreme (ρ(1) ≈ −1 drives the running sum of τ below zero);
    // random draws are the common case. Neither may give a finite error bar.
    const at::Tensor alternating =
        at::tensor({1.0, -1.0, 1.0, -1.0}, at::kDouble).unsqueeze(1).repeat({1, 4});
    for (const at::Tensor& x : {alternating, ar1(4, 4, 0.0, 3), ar1(4, 4, 0.0, 4)}) {
        const AutocorrelationEstimate est = integrated_autocorrelation_time(x);
        EXPECT_FALSE(est.converged);
        EXPECT_THAT(est.note, HasSubstr("4 samples per chain"));
        EXPECT_TRUE(std::isnan(est.effective_samples) || est.effective_samples <= 16.0)
            << "ESS " << est.effective_samples << " from 16 samples";
        EXPECT_FALSE(est.tau < 1.0) << "tau " << est.tau;
        const MeanEstimate m = mean_with_error(x);
        EXPECT_TRUE(std::isnan(m.standard_error)) << "standard error " << m.standard_error;
        EXPECT_THAT(m.note, HasSubstr("4 samples per chain"));
        EXPECT_TRUE(std::isfinite(m.mean));  // the mean itself is still the mean
    }
}

TEST(Autocorrelation, TauIsFlooredAtOneSoTheEffectiveSampleSizeNeverExceedsTheSampleCount) {
    // An anticorrelated AR(1) (φ = −0.5: true τ = (1 + φ)/(1 − φ) = 1/3) and a strictly
    // alternating series (τ̂ → −1 at lag 1): τ < 1 would claim more independent samples than
    // there are draws, and made the old window stop at lag 1 with τ = 1e-12.
    const at::Tensor alternating =
        (at::arange(2000, at::kDouble).remainder(2) * 2 - 1).unsqueeze(1).repeat({1, 8});
    for (const at::Tensor& x : {ar1(2000, 8, -0.5, 11), alternating}) {
        const AutocorrelationEstimate est = integrated_autocorrelation_time(x);
        EXPECT_GE(est.tau, 1.0);
        EXPECT_LE(est.effective_samples, static_cast<double>(x.numel()));
        EXPECT_GE(est.window, 5);  // Sokal's window M ≥ c·τ with τ ≥ 1
        const MeanEstimate m = mean_with_error(x);
        EXPECT_GE(m.tau, 1.0);
        // At least the error bar of independent draws: sd/sqrt(N).
        EXPECT_GE(m.standard_error, m.stddev / std::sqrt(static_cast<double>(x.numel())) * 0.999);
    }
    // Independent draws: τ stays near 1 (sd of τ̂ ≈ sqrt(2(2M + 1)/N) = 0.026 here, M = 5).
    const AutocorrelationEstimate iid = integrated_autocorrelation_time(ar1(2000, 8, 0.0, 12));
    EXPECT_TRUE(iid.converged);
    EXPECT_NEAR(iid.tau, 1.0, 0.15) << "(stochastic, ~5 sd)";
    EXPECT_TRUE(iid.note.empty()) << iid.note;
}

TEST(Autocorrelation, AConstantSeriesIsReportedNotTakenAsInfinitelyPrecise) {
    // 0.1 is not a binary fraction: the pooled mean can miss it by an ulp, leaving a
    // "variance" of 1e-34 whose autocorrelations are all 1 — it must still read as constant.
    for (double value : {0.0, 0.1, -43.1}) {
        const at::Tensor x = at::full({200, 4}, value, at::kDouble);
        const AutocorrelationEstimate est = integrated_autocorrelation_time(x);
        EXPECT_FALSE(est.converged) << value;
        EXPECT_THAT(est.note, HasSubstr("constant")) << value;
        EXPECT_DOUBLE_EQ(est.tau, 1.0) << value;
        EXPECT_DOUBLE_EQ(est.effective_samples, 800.0) << value;
        const MeanEstimate m = mean_with_error(x);
        EXPECT_DOUBLE_EQ(m.mean, value);
        EXPECT_DOUBLE_EQ(m.standard_error, 0.0) << value;  // exact: every sample is the mean
        EXPECT_THAT(m.note, HasSubstr("constant")) << value;
    }
}

}  // namespace
}  // namespace pita
