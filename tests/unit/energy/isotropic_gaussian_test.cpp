#include "pita/energy/isotropic_gaussian.h"

#include <cmath>
#include <functional>
#include <string>

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <torch/csrc/autograd/autograd.h>
#include <nlohmann/json.hpp>

#include "pita/core/error.h"
#include "support/test_helpers.h"

namespace pita {
namespace {

using ::testing::HasSubstr;

using testing::error_message;
using testing::fd_gradient;
using testing::grid_points;
using testing::kF64;
using testing::scalar_h;

at::Tensor random_x(at::IntArrayRef shape, uint64_t seed) {
    at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(seed);
    return at::randn(shape, gen, kF64);
}

TEST(IsotropicGaussian, EnergyMatchesHandComputedValue) {
    // Two particles in 3-D (D = 6), s² = 0.7: E = |x|²/(2·0.7) + 3·log(2π·0.7).
    const IsotropicGaussian g(2, 3, 0.7);
    const at::Tensor x = at::tensor({1.0, -2.0, 0.5, 0.0, 3.0, -1.0}, kF64).view({1, 2, 3});
    const double sq = 1 + 4 + 0.25 + 0 + 9 + 1;
    const double expected = sq / 1.4 + 3 * std::log(2 * M_PI * 0.7);
    EXPECT_NEAR(g.energy(x).item<double>(), expected, 1e-13);
    EXPECT_NEAR(g.energy(at::zeros({1, 2, 3}, kF64)).item<double>(), 3 * std::log(2 * M_PI * 0.7),
                1e-14);
}

TEST(IsotropicGaussian, LogProbMatchesSumOfOneDimensionalNormalsWithPerRowNoise) {
    const IsotropicGaussian g(1, 3, 1.3);
    const at::Tensor x = random_x({5, 3}, 1) * 2;
    const at::Tensor h = at::tensor({0.0, 0.1, 1.0, 2.5, 10.0}, kF64);
    const at::Tensor lp = g.log_prob(x, h);
    for (int64_t r = 0; r < 5; ++r) {
        const double v = 1.3 + h[r].item<double>();
        double expected = 0;
        for (int64_t j = 0; j < 3; ++j) {
            const double xj = x[r][j].item<double>();
            expected += -0.5 * std::log(2 * M_PI * v) - xj * xj / (2 * v);
        }
        EXPECT_NEAR(lp[r].item<double>(), expected, 1e-13) << "row " << r;
    }
}

TEST(IsotropicGaussian, EnergyIsMinusLogProbAtZeroNoise) {
    const IsotropicGaussian g(3, 2, 0.4);
    const at::Tensor x = random_x({16, 3, 2}, 2);
    EXPECT_TRUE(at::allclose(g.energy(x), -g.log_prob(x.view({16, 6}), scalar_h(0)), 0, 1e-13));
}

TEST(IsotropicGaussian, ScoreLaplacianAndDlogpDhMatchClosedForms) {
    const IsotropicGaussian g(2, 2, 0.5);
    const at::Tensor x = random_x({8, 4}, 3);
    const double h = 0.8;
    const double v = 0.5 + h;
    EXPECT_TRUE(at::allclose(g.score(x, scalar_h(h)), -x / v, 0, 1e-15));
    EXPECT_TRUE(at::allclose(g.laplacian(x, scalar_h(h)), at::full({8}, -4 / v, kF64), 0, 1e-15));
    EXPECT_EQ(g.laplacian(x, scalar_h(h)).sizes(), (at::IntArrayRef{8}));
    const at::Tensor expected_dh = -4 / (2 * v) + x.square().sum(1) / (2 * v * v);
    EXPECT_TRUE(at::allclose(g.dlogp_dh(x, scalar_h(h)), expected_dh, 0, 1e-14));
}

TEST(IsotropicGaussian, ScoreAndDlogpDhMatchFiniteDifferences) {
    // float64 central differences, eps = 1e-6 (x) and 1e-6 (h): error ≲1e-9; tolerance 1e-7.
    const IsotropicGaussian g(2, 2, 0.5);
    const at::Tensor x = random_x({8, 4}, 4);
    const double h = 0.8;
    const auto f = [&](const at::Tensor& z) { return g.log_prob(z, scalar_h(h)); };
    EXPECT_TRUE(at::allclose(g.score(x, scalar_h(h)), fd_gradient(f, x, 1e-6), 1e-7, 1e-7));
    const double eps = 1e-6;
    const at::Tensor fd_h =
        (g.log_prob(x, scalar_h(h + eps)) - g.log_prob(x, scalar_h(h - eps))) / (2 * eps);
    EXPECT_TRUE(at::allclose(g.dlogp_dh(x, scalar_h(h)), fd_h, 1e-7, 1e-7));
}

TEST(IsotropicGaussian, LogProbIsNormalisedOnAGrid) {
    // 2-D, s² = 0.8; grid [−15, 15]², spacing 0.2: the edge is ≥ 7.7 std away even at h = 2, and
    // the trapezoid error on a Gaussian of std ≥ 0.89 is ~exp(−2π²·0.8/0.04) ≈ 0; tolerance 1e-9.
    const IsotropicGaussian g(1, 2, 0.8);
    const at::Tensor pts = grid_points(-15, 15, 0.2);
    for (double h : {0.0, 2.0}) {
        const double mass = g.log_prob(pts, scalar_h(h)).exp().sum().item<double>() * 0.04;
        EXPECT_NEAR(mass, 1.0, 1e-9) << "h=" << h;
    }
}

TEST(IsotropicGaussian, NoisedMarginalMatchesNumericalConvolution) {
    // ∫ p_0(y) N(x − y; 0, hI) dy on [−15, 15]², spacing 0.2 (integrand std ≥ 0.5, trapezoid
    // error ~exp(−2π²·0.25/0.04) ≈ 1e-54); tolerance 1e-9 relative.
    const IsotropicGaussian g(1, 2, 0.8);
    const at::Tensor y = grid_points(-15, 15, 0.2);
    const at::Tensor p0 = g.log_prob(y, scalar_h(0)).exp();
    const at::Tensor xs = at::tensor({0.0, 0.0, 1.0, -0.5, -2.0, 2.5}, kF64).view({3, 2});
    for (double h : {0.5, 2.0}) {
        for (int64_t r = 0; r < 3; ++r) {
            const at::Tensor kernel =
                (-(xs[r] - y).square().sum(1) / (2 * h)).exp() / (2 * M_PI * h);
            const double quadrature = (p0 * kernel).sum().item<double>() * 0.04;
            const double exact =
                g.log_prob(xs.slice(0, r, r + 1), scalar_h(h)).exp().item<double>();
            EXPECT_NEAR(quadrature / exact, 1.0, 1e-9) << "h=" << h << " point " << r;
        }
    }
}

TEST(IsotropicGaussian, ForceMatchesFiniteDifferencesAndAutograd) {
    const IsotropicGaussian g(3, 3, 0.6);
    const at::Tensor x = random_x({4, 3, 3}, 5);
    const EnergyAndForce ef = g.energy_and_force(x);
    EXPECT_TRUE(at::allclose(ef.force, -x / 0.6, 0, 1e-15));
    // Finite differences: eps = 1e-6, error ≲1e-9; tolerance 1e-6 relative.
    const auto f = [&](const at::Tensor& z) { return g.energy(z.view({-1, 3, 3})); };
    const at::Tensor fd = -fd_gradient(f, x.view({4, 9}), 1e-6).view({4, 3, 3});
    EXPECT_TRUE(at::allclose(ef.force, fd, 1e-6, 1e-8));
    const at::Tensor xg = x.clone().requires_grad_(true);
    const at::Tensor grad = torch::autograd::grad({g.energy(xg).sum()}, {xg})[0];
    EXPECT_TRUE(at::allclose(ef.force, -grad, 1e-12, 1e-12));
}

TEST(IsotropicGaussian, Float32AgreesWithFloat64) {
    const IsotropicGaussian g(2, 3, 0.9);
    const at::Tensor x64 = random_x({16, 2, 3}, 6);
    const at::Tensor x32 = x64.to(at::kFloat);
    const EnergyAndForce ef32 = g.energy_and_force(x32);
    EXPECT_EQ(ef32.energy.scalar_type(), at::kFloat);
    EXPECT_EQ(ef32.force.scalar_type(), at::kFloat);
    EXPECT_TRUE(at::allclose(ef32.energy.to(at::kDouble), g.energy(x64), 1e-6, 1e-5));
    const at::Tensor h32 = at::scalar_tensor(0.3, at::kFloat);
    const at::Tensor f32 = x32.view({16, 6});
    const at::Tensor f64 = x64.view({16, 6});
    EXPECT_EQ(g.log_prob(f32, h32).scalar_type(), at::kFloat);
    EXPECT_EQ(g.laplacian(f32, h32).scalar_type(), at::kFloat);
    EXPECT_TRUE(at::allclose(g.log_prob(f32, h32).to(at::kDouble), g.log_prob(f64, scalar_h(0.3)),
                             1e-6, 1e-5));
    EXPECT_TRUE(at::allclose(g.dlogp_dh(f32, h32).to(at::kDouble), g.dlogp_dh(f64, scalar_h(0.3)),
                             1e-6, 1e-5));
}

TEST(IsotropicGaussian, BatchOfOneMatchesBatchOf64) {
    const IsotropicGaussian g(2, 3, 0.9);
    const at::Tensor x = random_x({64, 2, 3}, 7);
    const EnergyAndForce ef = g.energy_and_force(x);
    for (int64_t r = 0; r < 64; r += 9) {
        const EnergyAndForce one = g.energy_and_force(x.slice(0, r, r + 1));
        EXPECT_NEAR(one.energy.item<double>(), ef.energy[r].item<double>(), 1e-13) << "row " << r;
        EXPECT_TRUE(at::allclose(one.force[0], ef.force[r], 0, 1e-15)) << "row " << r;
    }
}

TEST(IsotropicGaussian, SampleMeanAndVarianceMatchNoisedVariance) {
    // Per coordinate: mean within 6·sqrt(v/n), sample variance within 6·sqrt(2v²/n)
    // (stochastic, fixed seed).
    const IsotropicGaussian g(2, 3, 0.7);
    const int64_t n = 100000;
    const double h = 0.5;
    const double v = 0.7 + h;
    at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(11);
    const at::Tensor xs = g.sample(n, h, gen);
    EXPECT_EQ(xs.sizes(), (at::IntArrayRef{n, 6}));
    EXPECT_EQ(xs.scalar_type(), at::kDouble);
    const double root_n = std::sqrt(static_cast<double>(n));
    EXPECT_LT(xs.mean(0).abs().max().item<double>(), 6 * std::sqrt(v) / root_n) << "(stochastic)";
    EXPECT_LT((xs.var(0) - v).abs().max().item<double>(), 6 * std::sqrt(2.0) * v / root_n)
        << "(stochastic)";
    at::Generator g1 = at::make_generator<at::CPUGeneratorImpl>(3);
    at::Generator g2 = at::make_generator<at::CPUGeneratorImpl>(3);
    EXPECT_TRUE(at::equal(g.sample(10, h, g1), g.sample(10, h, g2)));
}

TEST(IsotropicGaussian, EnergyCountsOneEvaluationPerRow) {
    IsotropicGaussian g(2, 3, 1.0);  // non-const: reset_evaluations() below
    g.energy(at::zeros({64, 2, 3}, kF64));
    EXPECT_EQ(g.evaluations(), 64);
    g.energy_and_force(at::zeros({3, 2, 3}, at::kFloat));
    EXPECT_EQ(g.evaluations(), 67);
    g.reset_evaluations();
    EXPECT_EQ(g.evaluations(), 0);
}

TEST(IsotropicGaussian, ReportsItsSettings) {
    const IsotropicGaussian g(2, 3, 0.7);
    EXPECT_EQ(g.name(), "isotropic_gaussian");
    EXPECT_FALSE(g.translation_invariant());
    EXPECT_EQ(g.degrees_of_freedom(), 6);
    EXPECT_EQ(g.flat_dim(), 6);
    const nlohmann::json cfg = g.config();
    EXPECT_EQ(cfg.at("type"), "gaussian");
    EXPECT_EQ(cfg.at("n_particles"), 2);
    EXPECT_EQ(cfg.at("spatial_dim"), 3);
    EXPECT_DOUBLE_EQ(cfg.at("variance").get<double>(), 0.7);
}

TEST(IsotropicGaussian, RejectsBadSettingsAndInputs) {
    EXPECT_THAT(error_message([] { IsotropicGaussian(0, 3, 1.0); }),
                HasSubstr("[isotropic_gaussian] n_particles and spatial_dim: got 0 and 3"));
    EXPECT_THAT(error_message([] { IsotropicGaussian(1, 2, -1.0); }),
                HasSubstr("variance: got -1; expected a finite value > 0"));
    const IsotropicGaussian g(1, 2, 1.0);
    EXPECT_THAT(error_message([&] {
                    g.score(at::zeros({4, 3}, kF64), scalar_h(0));
                }),
                HasSubstr("score: wrong x shape: got [4, 3]; expected [batch, 2]"));
    EXPECT_THAT(error_message([&] {
                    g.log_prob(at::zeros({4, 2}, kF64), at::zeros({2}, kF64));
                }),
                HasSubstr("wrong h shape: got [2]"));
    at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(0);
    EXPECT_THAT(error_message([&] { g.sample(-1, 0.0, gen); }), HasSubstr("n: got -1"));
}

}  // namespace
}  // namespace pita
