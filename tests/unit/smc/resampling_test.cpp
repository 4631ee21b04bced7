#include <cmath>

#include <ATen/ATen.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "pita/core/error.h"
#include "pita/core/rng.h"
#include "pita/smc/resampling.h"

namespace pita {
namespace {

using ::testing::HasSubstr;

constexpr ResamplingScheme kSchemes[] = {ResamplingScheme::Systematic,
                                         ResamplingScheme::Multinomial, ResamplingScheme::Residual};

TEST(Resampling, EffectiveSampleSizeIsNForEqualWeightsAndOneForOneHot) {
    EXPECT_DOUBLE_EQ(effective_sample_size(at::full({100}, -3.7, at::kDouble)), 100.0);
    at::Tensor one_hot = at::full({100}, -INFINITY, at::kDouble);
    one_hot[42] = 5.0;
    EXPECT_DOUBLE_EQ(effective_sample_size(one_hot), 1.0);
    // Two equal weights among dead particles: ESS 2; huge offsets do not overflow.
    at::Tensor two = at::full({10}, NAN, at::kDouble);
    two[1] = 1e4;
    two[7] = 1e4;
    EXPECT_DOUBLE_EQ(effective_sample_size(two), 2.0);
    EXPECT_EQ(effective_sample_size(at::full({3}, NAN, at::kDouble)), 0.0);
}

// Unbiasedness: the mean offspring count over R resamplings equals N·w_i. Each count has
// variance at most N·w(1−w) (the multinomial bound; systematic and residual are lower), so the
// mean over R = 4 000 is within 5·sqrt(N·w(1−w)/R) of N·w except with probability ~1e-6 per
// particle.
TEST(Resampling, EverySchemeIsUnbiased) {
    const at::Tensor w =
        at::tensor({0.01, 0.04, 0.15, 0.3, 0.05, 0.2, 0.1, 0.08, 0.06, 0.01}, at::kDouble);
    const at::Tensor log_w = w.log() + 17.0;  // unnormalised on purpose
    const int64_t n = w.size(0);
    constexpr int kRepeats = 4000;
    for (ResamplingScheme scheme : kSchemes) {
        at::Generator gen = make_generator(11);
        at::Tensor counts = at::zeros({n}, at::kDouble);
        for (int r = 0; r < kRepeats; ++r)
            counts += at::bincount(resample(log_w, scheme, n, gen, "test"), {}, n).to(at::kDouble);
        const at::Tensor mean = counts / kRepeats;
        const at::Tensor expected = w * n;
        const at::Tensor tol = 5.0 * (expected * (1 - w) / kRepeats).sqrt();
        for (int64_t i = 0; i < n; ++i) {
            EXPECT_NEAR(mean[i].item<double>(), expected[i].item<double>(), tol[i].item<double>())
                << to_string(scheme) << " particle " << i << " (stochastic)";
        }
    }
}

TEST(Resampling, SystematicGivesFloorOrCeilAndResidualAtLeastFloorCopies) {
    at::Generator gen = make_generator(3);
    const at::Tensor w = at::softmax(at::randn({50}, gen, at::kDouble) * 2, 0);
    const at::Tensor expected = w * 50;
    for (int r = 0; r < 200; ++r) {
        const at::Tensor sys =
            at::bincount(resample(w.log(), ResamplingScheme::Systematic, 50, gen, "t"), {}, 50)
                .to(at::kDouble);
        EXPECT_TRUE(((sys - expected).abs() < 1.0 + 1e-9).all().item<bool>());
        const at::Tensor res =
            at::bincount(resample(w.log(), ResamplingScheme::Residual, 50, gen, "t"), {}, 50)
                .to(at::kDouble);
        EXPECT_TRUE((res >= expected.floor()).all().item<bool>());
        EXPECT_EQ(res.sum().item<double>(), 50.0);
    }
}

TEST(Resampling, NonFiniteParticlesDieAndAllNonFiniteNamesTheStep) {
    at::Tensor log_w = at::zeros({6}, at::kDouble);
    log_w[0] = NAN;
    log_w[2] = -INFINITY;
    log_w[4] = INFINITY;
    for (ResamplingScheme scheme : kSchemes) {
        at::Generator gen = make_generator(5);
        for (int r = 0; r < 100; ++r) {
            const at::Tensor idx = resample(log_w, scheme, 6, gen, "t");
            EXPECT_FALSE((idx == 0).any().item<bool>() || (idx == 2).any().item<bool>() ||
                         (idx == 4).any().item<bool>())
                << to_string(scheme);
        }
    }
    at::Generator gen = make_generator(5);
    try {
        resample(at::full({4}, NAN, at::kDouble), ResamplingScheme::Systematic, 4, gen,
                 "annealing step 412");
        FAIL() << "expected a NumericalError";
    } catch (const NumericalError& e) {
        EXPECT_THAT(e.what(), HasSubstr("annealing step 412: all 4 log-weights are NaN"));
    }
    EXPECT_EQ(parse_resampling_scheme("residual"), ResamplingScheme::Residual);
    EXPECT_THROW(parse_resampling_scheme("stratified"), ConfigError);
}

TEST(Resampling, QuantileClampCapsFiniteValuesAndLeavesDeadParticlesDead) {
    at::Tensor v = at::arange(10, at::kDouble);
    v = at::cat({v, at::tensor({INFINITY, NAN}, at::kDouble)});
    const at::Tensor c = clamp_above_quantile(v, 0.5);  // median of 0..9 is 4.5
    EXPECT_TRUE(at::equal(c.slice(0, 0, 10), at::arange(10, at::kDouble).clamp_max(4.5)));
    EXPECT_TRUE(std::isinf(c[10].item<double>()));  // +inf is not resurrected to the cap
    EXPECT_TRUE(std::isnan(c[11].item<double>()));
    EXPECT_EQ(count_unique(at::tensor({3, 1, 3, 3, 0}, at::kLong)), 3);
}

}  // namespace
}  // namespace pita
