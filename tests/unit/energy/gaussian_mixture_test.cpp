#include "pita/energy/gaussian_mixture.h"

#include <cmath>
#include <cstdio>
#include <functional>
#include <sstream>
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

// Three overlapping 2-D modes with unequal variances and weights, so responsibilities are far
// from one-hot and every term of the score and Laplacian formulas matters.
std::unique_ptr<GaussianMixture> overlapping_mixture() {
    return std::make_unique<GaussianMixture>(
        at::tensor({0.0, 0.0, 1.5, -0.5, -1.0, 2.0}, kF64).view({3, 2}),
        at::tensor({0.5, 1.2, 0.8}, kF64), at::tensor({2.0, 5.0, 3.0}, kF64));
}

at::Tensor test_points(int64_t n, uint64_t seed, double scale) {
    at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(seed);
    return at::randn({n, 2}, gen, kF64) * scale;
}

// ---- construction and the reference mixture ----------------------------------------------------

TEST(GaussianMixture, NormalisesWeightsAndStoresFloat64OnCpu) {
    const auto gmm = overlapping_mixture();
    EXPECT_EQ(gmm->n_components(), 3);
    EXPECT_EQ(gmm->flat_dim(), 2);
    EXPECT_EQ(gmm->weights().scalar_type(), at::kDouble);
    EXPECT_TRUE(gmm->means().device().is_cpu());
    EXPECT_NEAR(gmm->weights()[0].item<double>(), 0.2, 1e-15);
    EXPECT_NEAR(gmm->weights()[1].item<double>(), 0.5, 1e-15);
    EXPECT_NEAR(gmm->weights()[2].item<double>(), 0.3, 1e-15);
}

TEST(GaussianMixture, ConstructorRejectsWrongShapesWithAClearMessage) {
    const at::Tensor means = at::zeros({3, 2}, kF64);
    const at::Tensor ones3 = at::ones({3}, kF64);
    EXPECT_THAT(error_message([&] { GaussianMixture(at::zeros({3}, kF64), ones3, ones3); }),
                HasSubstr("means: got shape [3]; expected [K, d]"));
    EXPECT_THAT(error_message([&] { GaussianMixture(means, at::ones({2}, kF64), ones3); }),
                HasSubstr("variances: got shape [2]; expected [3]"));
    EXPECT_THAT(error_message([&] {
                    GaussianMixture(means, ones3, at::ones({3, 1}, kF64));
                }),
                HasSubstr("weights: got shape [3, 1]; expected [3]"));
}

TEST(GaussianMixture, ConstructorReportsEveryBadValueAtOnce) {
    const at::Tensor means = at::zeros({3, 2}, kF64);
    const std::string msg = error_message([&] {
        GaussianMixture(means, at::tensor({1.0, 0.0, -2.0}, kF64),
                        at::tensor({1.0, -0.5, 1.0}, kF64));
    });
    EXPECT_THAT(msg, HasSubstr("[gmm]"));
    EXPECT_THAT(msg, HasSubstr("variances: got 0 at component 1 (2 bad in all); expected finite "
                               "values > 0"));
    EXPECT_THAT(msg, HasSubstr("weights: got -0.5 at component 1"));
}

TEST(GaussianMixture, ConstructorRejectsAllZeroWeights) {
    EXPECT_THAT(
        error_message([] {
            GaussianMixture(at::zeros({2, 2}, kF64), at::ones({2}, kF64), at::zeros({2}, kF64));
        }),
        HasSubstr("weights: got all zeros; expected a positive sum"));
}

TEST(GaussianMixture, ConstructorRejectsNonFiniteMeans) {
    const at::Tensor means = at::tensor({0.0, NAN}, kF64).view({1, 2});
    EXPECT_THAT(
        error_message([&] { GaussianMixture(means, at::ones({1}, kF64), at::ones({1}, kF64)); }),
        HasSubstr("means: got non-finite entries"));
}

TEST(GaussianMixture, Gmm40MeansAreDeterministicAndInsideTheBox) {
    const auto a = GaussianMixture::pita_gmm40();
    const auto b = GaussianMixture::pita_gmm40();
    EXPECT_TRUE(at::equal(a->means(), b->means()));
    EXPECT_EQ(a->means().sizes(), (at::IntArrayRef{40, 2}));
    EXPECT_GE(a->means().min().item<double>(), -40.0);
    EXPECT_LT(a->means().max().item<double>(), 40.0);
    // Forty distinct draws, not one repeated value.
    EXPECT_GT(a->means().std().item<double>(), 10.0);
}

TEST(GaussianMixture, Gmm40MeansReproduceTorchManualSeedZero) {
    // torch.manual_seed(0); torch.rand(10) prints the widely quoted first draws of PyTorch's CPU
    // generator; torch.rand(40, 2) fills row-major from the same stream, so fab's first five means
    // are (u − 0.5)·80. The printed values carry 4 decimals (±5e-5), i.e. ±4e-3 after the ·80.
    const double torch_rand[10] = {0.4963, 0.7682, 0.0885, 0.1320, 0.3074,
                                   0.6341, 0.4901, 0.8964, 0.4556, 0.6323};
    const auto gmm = GaussianMixture::pita_gmm40();
    const at::Tensor first = gmm->means().slice(0, 0, 5).reshape(-1);
    for (int i = 0; i < 10; ++i) {
        EXPECT_NEAR(first[i].item<double>(), (torch_rand[i] - 0.5) * 80, 4e-3) << "entry " << i;
    }
}

TEST(GaussianMixture, Gmm40HasSoftplusOneStdAndEqualWeights) {
    const auto gmm = GaussianMixture::pita_gmm40();
    const double std_dev = std::log(1.0 + std::exp(1.0));
    EXPECT_NEAR(std_dev, 1.3132616875182228, 1e-15);
    EXPECT_TRUE(at::allclose(gmm->variances(), at::full({40}, std_dev * std_dev, kF64), 0, 1e-15));
    EXPECT_TRUE(at::allclose(gmm->weights(), at::full({40}, 1.0 / 40, kF64), 0, 1e-15));
    const nlohmann::json cfg = gmm->config();
    EXPECT_EQ(cfg.at("type"), "gmm");
    EXPECT_EQ(cfg.at("n_components"), 40);
    EXPECT_EQ(cfg.at("dim"), 2);
    EXPECT_EQ(gmm->name(), "gmm");
    EXPECT_EQ(gmm->n_particles(), 1);
    EXPECT_EQ(gmm->spatial_dim(), 2);
    EXPECT_FALSE(gmm->translation_invariant());
    EXPECT_EQ(gmm->degrees_of_freedom(), 2);
}

// ---- exactness of the noised density -----------------------------------------------------------

TEST(GaussianMixture, LogProbIsNormalisedOnAGridAtZeroAndPositiveNoise) {
    // Grid [−60, 60]², spacing 0.5: every mode (|m| ≤ 40) is ≥ 20 from the edge, ≥ 10 std even at
    // h = 2 (std 1.93), and the trapezoid rule on a Gaussian of std σ errs by ~exp(−2π²σ²/0.5²)
    // < 1e-50. What is left is summation round-off, so 1e-8 is generous.
    const auto gmm = GaussianMixture::pita_gmm40();
    const at::Tensor pts = grid_points(-60, 60, 0.5);
    for (double h : {0.0, 2.0}) {
        const double mass = gmm->log_prob(pts, scalar_h(h)).exp().sum().item<double>() * 0.25;
        EXPECT_NEAR(mass, 1.0, 1e-8) << "h=" << h;
    }
}

TEST(GaussianMixture, NoisedMarginalMatchesNumericalConvolution) {
    // p_h(x) = ∫ p_0(y) N(x − y; 0, hI) dy by the trapezoid rule on a square grid of spacing 0.25,
    // half-width 12·sqrt(h) + 1 around x (outside it the kernel is below e^-72 of its peak), for
    // points on a mode, off a mode, between the two closest modes, and at the origin. The
    // integrand is a sum of Gaussians of std ≥ 0.6, so the quadrature error is
    // ~exp(−2π²·0.6²/0.25²) ≈ 1e-49; tolerance 1e-9 relative.
    const auto gmm = GaussianMixture::pita_gmm40();
    const at::Tensor m = gmm->means();
    const at::Tensor pair_dist = at::cdist(m, m) + at::eye(40, kF64) * 1e9;
    const int64_t closest = pair_dist.argmin().item<int64_t>();
    const int64_t i = closest / 40;
    const int64_t j = closest % 40;
    const at::Tensor xs = at::stack(
        {m[0], m[0] + at::tensor({0.7, -1.1}, kF64), 0.5 * (m[i] + m[j]), at::zeros({2}, kF64)});
    const double step = 0.25;
    for (double h : {0.5, 2.0}) {
        const double half_width = 12.0 * std::sqrt(h) + 1.0;
        for (int64_t r = 0; r < xs.size(0); ++r) {
            const at::Tensor x = xs[r];
            const at::Tensor y = grid_points(-half_width, half_width, step) + x;
            const at::Tensor kernel = (-(x - y).square().sum(1) / (2 * h)).exp() / (2 * M_PI * h);
            const double quadrature =
                (gmm->log_prob(y, scalar_h(0.0)).exp() * kernel).sum().item<double>() * step * step;
            const double exact = gmm->log_prob(x.unsqueeze(0), scalar_h(h)).exp().item<double>();
            EXPECT_GT(exact, 1e-12) << "test point " << r << " should carry probability";
            EXPECT_NEAR(quadrature / exact, 1.0, 1e-9) << "h=" << h << " point " << r;
        }
    }
}

TEST(GaussianMixture, ScoreMatchesFiniteDifferencesOfLogProb) {
    // float64, central differences with eps = 1e-5: truncation ~eps²·|∂³log p| ≈ 1e-10 and
    // round-off ~1e-16·|log p|/eps ≈ 1e-10, so 1e-7 leaves a wide margin.
    for (const auto& gmm : {overlapping_mixture(), GaussianMixture::pita_gmm40()}) {
        const at::Tensor x = gmm->n_components() == 3
                                 ? test_points(32, 1, 1.5)
                                 : gmm->means().slice(0, 0, 32) + test_points(32, 2, 1.5);
        for (double h : {0.0, 0.3, 2.0}) {
            const auto f = [&](const at::Tensor& z) { return gmm->log_prob(z, scalar_h(h)); };
            const at::Tensor fd = fd_gradient(f, x, 1e-5);
            EXPECT_TRUE(at::allclose(gmm->score(x, scalar_h(h)), fd, 1e-7, 1e-7))
                << "K=" << gmm->n_components() << " h=" << h << " max err "
                << (gmm->score(x, scalar_h(h)) - fd).abs().max().item<double>();
        }
    }
}

TEST(GaussianMixture, LaplacianMatchesFiniteDifferenceLaplacian) {
    // Five-point stencil on log p with eps = 1e-4: truncation eps²/12·|∂⁴log p| ≈ 1e-8, round-off
    // 4·1e-16·|log p|/eps² ≈ 1e-7; tolerance 1e-5.
    const auto gmm = overlapping_mixture();
    const at::Tensor x = test_points(32, 3, 1.5);
    const double eps = 1e-4;
    for (double h : {0.0, 0.7}) {
        const at::Tensor lp = gmm->log_prob(x, scalar_h(h));
        at::Tensor fd = at::zeros_like(lp);
        for (int64_t j = 0; j < 2; ++j) {
            at::Tensor xp = x.clone();
            at::Tensor xm = x.clone();
            xp.select(1, j).add_(eps);
            xm.select(1, j).sub_(eps);
            fd += (gmm->log_prob(xp, scalar_h(h)) - 2 * lp + gmm->log_prob(xm, scalar_h(h))) /
                  (eps * eps);
        }
        const at::Tensor lap = gmm->laplacian(x, scalar_h(h));
        EXPECT_TRUE(at::allclose(lap, fd, 0, 1e-5))
            << "h=" << h << " max err " << (lap - fd).abs().max().item<double>();
    }
}

TEST(GaussianMixture, DlogpDhMatchesFiniteDifferencesInH) {
    // Central differences in h with eps = 1e-6 around h = 0.7: error ~1e-10; tolerance 1e-7.
    const auto gmm = overlapping_mixture();
    const at::Tensor x = test_points(32, 4, 1.5);
    const double h = 0.7;
    const double eps = 1e-6;
    const at::Tensor fd =
        (gmm->log_prob(x, scalar_h(h + eps)) - gmm->log_prob(x, scalar_h(h - eps))) / (2 * eps);
    EXPECT_TRUE(at::allclose(gmm->dlogp_dh(x, scalar_h(h)), fd, 1e-7, 1e-7));
}

TEST(GaussianMixture, PerRowNoiseMatchesOneRowAtATime) {
    const auto gmm = overlapping_mixture();
    const at::Tensor x = test_points(8, 5, 1.5);
    const at::Tensor h = at::linspace(0.0, 3.0, 8, kF64);
    const at::Tensor lp = gmm->log_prob(x, h);
    const at::Tensor s = gmm->score(x, h);
    const at::Tensor lap = gmm->laplacian(x, h);
    const at::Tensor dh = gmm->dlogp_dh(x, h);
    for (int64_t r = 0; r < 8; ++r) {
        const at::Tensor xr = x.slice(0, r, r + 1);
        const at::Tensor hr = h[r];
        EXPECT_NEAR(lp[r].item<double>(), gmm->log_prob(xr, hr).item<double>(), 1e-12);
        EXPECT_TRUE(at::allclose(s[r], gmm->score(xr, hr)[0], 1e-12, 1e-12));
        EXPECT_NEAR(lap[r].item<double>(), gmm->laplacian(xr, hr).item<double>(), 1e-12);
        EXPECT_NEAR(dh[r].item<double>(), gmm->dlogp_dh(xr, hr).item<double>(), 1e-12);
    }
}

TEST(GaussianMixture, NoisedQueriesRejectWrongShapes) {
    const auto gmm = overlapping_mixture();
    EXPECT_THAT(error_message([&] {
                    gmm->log_prob(at::zeros({4, 3}, kF64), scalar_h(0));
                }),
                HasSubstr("[gmm] log_prob: wrong x shape: got [4, 3]; expected [batch, 2]"));
    EXPECT_THAT(error_message([&] {
                    gmm->score(at::zeros({4, 2}, kF64), at::zeros({3}, kF64));
                }),
                HasSubstr("[gmm] score: wrong h shape: got [3]; expected a 0-d tensor or [4]"));
    EXPECT_THAT(error_message([&] {
                    gmm->laplacian(at::zeros({4, 2}, at::kInt), scalar_h(0));
                }),
                HasSubstr("unsupported dtype: got Int"));
}

// ---- the Energy view ---------------------------------------------------------------------------

TEST(GaussianMixture, EnergyIsMinusLogProbAtZeroNoise) {
    const auto gmm = GaussianMixture::pita_gmm40();
    const at::Tensor x = gmm->means().slice(0, 0, 16) + test_points(16, 6, 2.0);
    const at::Tensor e = gmm->energy(x.view({16, 1, 2}));
    EXPECT_TRUE(at::allclose(e, -gmm->log_prob(x, scalar_h(0)), 0, 1e-13));
    // At a lone mode the density is ~w/(2πv): a hand value that pins the normaliser.
    const auto single =
        GaussianMixture(at::zeros({1, 2}, kF64), at::full({1}, 0.5, kF64), at::ones({1}, kF64));
    EXPECT_NEAR(single.energy(at::zeros({1, 1, 2}, kF64)).item<double>(), std::log(2 * M_PI * 0.5),
                1e-15);
}

TEST(GaussianMixture, ForceMatchesFiniteDifferencesAndAutograd) {
    // Finite differences: float64, eps = 1e-6, error ≲1e-9; tolerance 1e-6 relative. Autograd
    // differentiates the same expression, so it must agree to round-off (1e-12).
    const auto gmm = overlapping_mixture();
    const at::Tensor x = test_points(16, 7, 1.5).view({16, 1, 2});
    const EnergyAndForce ef = gmm->energy_and_force(x);
    EXPECT_TRUE(at::allclose(ef.energy, gmm->energy(x), 0, 1e-14));
    const auto f = [&](const at::Tensor& z) { return gmm->energy(z.view({-1, 1, 2})); };
    const at::Tensor fd = -fd_gradient(f, x.view({16, 2}), 1e-6).view({16, 1, 2});
    EXPECT_TRUE(at::allclose(ef.force, fd, 1e-6, 1e-8));

    const at::Tensor xg = x.clone().requires_grad_(true);
    const at::Tensor grad = torch::autograd::grad({gmm->energy(xg).sum()}, {xg})[0];
    EXPECT_TRUE(at::allclose(ef.force, -grad, 1e-12, 1e-12));
}

TEST(GaussianMixture, EnergyCountsOneEvaluationPerRow) {
    const auto gmm = overlapping_mixture();
    const at::Tensor x = test_points(64, 8, 1.0).view({64, 1, 2});
    EXPECT_EQ(gmm->evaluations(), 0);
    gmm->energy(x);
    EXPECT_EQ(gmm->evaluations(), 64);
    gmm->energy_and_force(x.slice(0, 0, 5));
    EXPECT_EQ(gmm->evaluations(), 69);
    // The NoisedDensity queries are oracles, not target evaluations.
    gmm->log_prob(x.view({64, 2}), scalar_h(0));
    EXPECT_EQ(gmm->evaluations(), 69);
}

TEST(GaussianMixture, EnergyRejectsFlatInput) {
    const auto gmm = overlapping_mixture();
    EXPECT_THAT(error_message([&] {
                    gmm->energy(at::zeros({4, 2}, kF64));
                }),
                HasSubstr("wrong input shape: got [4, 2]; expected [batch, 1, 2]"));
}

// ---- dtypes, batches ---------------------------------------------------------------------------

TEST(GaussianMixture, Float32AgreesWithFloat64) {
    // float32 carries ~7 digits; |x − m|² reaches ~10³ for the 40-mode box, so 1e-4 relative
    // (1e-3 absolute for the O(1) score and Laplacian) is the float32 budget.
    const auto gmm = GaussianMixture::pita_gmm40();
    const at::Tensor x64 = gmm->means().slice(0, 0, 32) + test_points(32, 9, 1.5);
    const at::Tensor x32 = x64.to(at::kFloat);
    const at::Tensor h64 = scalar_h(0.5);
    const at::Tensor h32 = h64.to(at::kFloat);
    const at::Tensor lp32 = gmm->log_prob(x32, h32);
    EXPECT_EQ(lp32.scalar_type(), at::kFloat);
    EXPECT_EQ(gmm->score(x32, h32).scalar_type(), at::kFloat);
    EXPECT_TRUE(at::allclose(lp32.to(at::kDouble), gmm->log_prob(x64, h64), 1e-4, 1e-4));
    EXPECT_TRUE(
        at::allclose(gmm->score(x32, h32).to(at::kDouble), gmm->score(x64, h64), 1e-4, 1e-3));
    EXPECT_TRUE(at::allclose(gmm->laplacian(x32, h32).to(at::kDouble), gmm->laplacian(x64, h64),
                             1e-4, 1e-3));
    EXPECT_TRUE(
        at::allclose(gmm->dlogp_dh(x32, h32).to(at::kDouble), gmm->dlogp_dh(x64, h64), 1e-4, 1e-3));
    const EnergyAndForce ef32 = gmm->energy_and_force(x32.view({32, 1, 2}));
    const EnergyAndForce ef64 = gmm->energy_and_force(x64.view({32, 1, 2}));
    EXPECT_EQ(ef32.energy.scalar_type(), at::kFloat);
    EXPECT_EQ(ef32.force.scalar_type(), at::kFloat);
    EXPECT_TRUE(at::allclose(ef32.energy.to(at::kDouble), ef64.energy, 1e-4, 1e-4));
    EXPECT_TRUE(at::allclose(ef32.force.to(at::kDouble), ef64.force, 1e-4, 1e-3));
}

TEST(GaussianMixture, BatchOfOneMatchesBatchOf64) {
    const auto gmm = GaussianMixture::pita_gmm40();
    const at::Tensor x = gmm->means().repeat({2, 1}).slice(0, 0, 64) + test_points(64, 10, 2.0);
    const at::Tensor h = scalar_h(0.3);
    const at::Tensor lp = gmm->log_prob(x, h);
    const at::Tensor s = gmm->score(x, h);
    const EnergyAndForce ef = gmm->energy_and_force(x.view({64, 1, 2}));
    for (int64_t r = 0; r < 64; r += 7) {
        const at::Tensor xr = x.slice(0, r, r + 1);
        EXPECT_NEAR(gmm->log_prob(xr, h).item<double>(), lp[r].item<double>(), 1e-12)
            << "row " << r;
        EXPECT_TRUE(at::allclose(gmm->score(xr, h)[0], s[r], 1e-12, 1e-12)) << "row " << r;
        const EnergyAndForce one = gmm->energy_and_force(xr.view({1, 1, 2}));
        EXPECT_NEAR(one.energy.item<double>(), ef.energy[r].item<double>(), 1e-12) << "row " << r;
        EXPECT_TRUE(at::allclose(one.force[0], ef.force[r], 1e-12, 1e-12)) << "row " << r;
    }
}

// ---- sampling, modes, tempering ----------------------------------------------------------------

TEST(GaussianMixture, SampleMomentsMatchTheNoisedMixture) {
    // Mixture moments per dimension: mean μ = Σ w m, variance σ² = Σ w (v + h + (m − μ)²), fourth
    // central moment μ4 = Σ w (δ⁴ + 6δ²s² + 3s⁴), δ = m − μ, s² = v + h. Tolerances are 6 standard
    // errors: 6σ/√n for the mean, 6·sqrt(μ4 − σ⁴)/√n for the variance (stochastic, fixed seed).
    const auto gmm = GaussianMixture::pita_gmm40();
    const int64_t n = 200000;
    const double h = 1.0;
    at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(42);
    const at::Tensor xs = gmm->sample(n, h, gen);
    EXPECT_EQ(xs.sizes(), (at::IntArrayRef{n, 2}));
    EXPECT_EQ(xs.scalar_type(), at::kDouble);
    const at::Tensor w = gmm->weights().unsqueeze(1);
    const at::Tensor s2 = (gmm->variances() + h).unsqueeze(1);
    const at::Tensor mu = (w * gmm->means()).sum(0);
    const at::Tensor delta = gmm->means() - mu;
    const at::Tensor var = (w * (s2 + delta.square())).sum(0);
    const at::Tensor mu4 = (w * (delta.pow(4) + 6 * delta.square() * s2 + 3 * s2.square())).sum(0);
    const at::Tensor mean_tol = 6 * var.sqrt() / std::sqrt(static_cast<double>(n));
    const at::Tensor var_tol = 6 * (mu4 - var.square()).sqrt() / std::sqrt(static_cast<double>(n));
    EXPECT_TRUE(((xs.mean(0) - mu).abs() < mean_tol).all().item<bool>())
        << "(stochastic) mean " << xs.mean(0) << " vs " << mu;
    EXPECT_TRUE(((xs.var(0) - var).abs() < var_tol).all().item<bool>())
        << "(stochastic) variance " << xs.var(0) << " vs " << var;
}

TEST(GaussianMixture, SampleComponentFrequenciesMatchWeights) {
    // Two modes 40 std apart, so mode_assignment recovers the component of every sample; counts
    // must match n·w within 6·sqrt(n·w(1−w)) (stochastic, fixed seed).
    const GaussianMixture gmm(at::tensor({-20.0, 0.0, 20.0, 0.0}, kF64).view({2, 2}),
                              at::tensor({1.0, 0.5}, kF64), at::tensor({0.3, 0.7}, kF64));
    const int64_t n = 100000;
    at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(7);
    const at::Tensor modes = gmm.mode_assignment(gmm.sample(n, 0.0, gen));
    EXPECT_EQ(modes.scalar_type(), at::kLong);
    const double count0 = (modes == 0).sum().item<double>();
    EXPECT_NEAR(count0, 0.3 * n, 6 * std::sqrt(n * 0.3 * 0.7)) << "(stochastic)";
}

TEST(GaussianMixture, SamplesAreReproducibleForASeed) {
    const auto gmm = overlapping_mixture();
    at::Generator g1 = at::make_generator<at::CPUGeneratorImpl>(3);
    at::Generator g2 = at::make_generator<at::CPUGeneratorImpl>(3);
    at::Generator g3 = at::make_generator<at::CPUGeneratorImpl>(4);
    const at::Tensor a = gmm->sample(100, 0.5, g1);
    EXPECT_TRUE(at::equal(a, gmm->sample(100, 0.5, g2)));
    EXPECT_FALSE(at::equal(a, gmm->sample(100, 0.5, g3)));
    EXPECT_EQ(gmm->sample(0, 0.5, g1).sizes(), (at::IntArrayRef{0, 2}));
    EXPECT_THAT(error_message([&] { gmm->sample(10, -1.0, g1); }),
                HasSubstr("[gmm] sample: h: got -1; expected a finite h >= 0"));
}

TEST(GaussianMixture, ModeAssignmentReturnsTheModeAtEachMean) {
    // Equal weights and variances: at m_k component k is the most responsible.
    const auto gmm = GaussianMixture::pita_gmm40();
    const at::Tensor expected = at::arange(40, at::kLong);
    EXPECT_TRUE(at::equal(gmm->mode_assignment(gmm->means()), expected));
    EXPECT_TRUE(
        at::equal(gmm->mode_assignment(gmm->means().view({40, 1, 2}).to(at::kFloat)), expected));
    EXPECT_THAT(error_message([&] {
                    gmm->mode_assignment(at::zeros({4, 3}, kF64));
                }),
                HasSubstr("[gmm] mode_assignment: wrong x shape: got [4, 3]"));
}

TEST(GaussianMixture, TemperedApproximationMatchesGridNormalisedPowerForSeparatedModes) {
    // Modes 30 apart with std ≤ sqrt(2·2) = 2 after tempering: overlap ~exp(−15²/(2·4)) ≈ 1e-12,
    // so p^{1/T} normalised on a grid ([−20, 50]², spacing 0.25; trapezoid error negligible for
    // std ≥ 0.5) must equal the tempered mixture to ~1e-9 of the peak density.
    const GaussianMixture gmm(at::tensor({0.0, 0.0, 30.0, 0.0, 0.0, 30.0}, kF64).view({3, 2}),
                              at::tensor({0.5, 1.0, 2.0}, kF64), at::tensor({0.2, 0.3, 0.5}, kF64));
    const at::Tensor pts = grid_points(-20, 50, 0.25);
    const at::Tensor lp = gmm.log_prob(pts, scalar_h(0));
    for (double t : {0.5, 2.0}) {
        const auto tempered = gmm.tempered_approximation(t);
        EXPECT_TRUE(at::allclose(tempered->variances(), gmm.variances() * t, 0, 1e-15));
        const at::Tensor q = (lp / t).exp();
        const at::Tensor q_norm = q / (q.sum() * 0.0625);
        const at::Tensor exact = tempered->log_prob(pts, scalar_h(0)).exp();
        const double peak = exact.max().item<double>();
        EXPECT_LT((q_norm - exact).abs().max().item<double>(), 1e-9 * peak) << "T=" << t;
    }
    const auto same = gmm.tempered_approximation(1.0);
    EXPECT_TRUE(at::allclose(same->weights(), gmm.weights(), 0, 1e-15));
    EXPECT_TRUE(at::allclose(same->variances(), gmm.variances(), 0, 1e-15));
    EXPECT_THAT(error_message([&] { gmm.tempered_approximation(0.0); }),
                HasSubstr("temperature: got 0; expected a finite T > 0"));
}

}  // namespace
}  // namespace pita

namespace pita {
namespace {

// The reference builds its means with torch.manual_seed(0); torch.rand(40, 2). Checked against
// Debian's python3-torch when it is installed (scripts/install-deps.sh --bench), skipped otherwise.
TEST(GaussianMixture, Gmm40MeansEqualPyTorchsSeededDraws) {
    FILE* pipe = popen(
        "/usr/bin/python3 -c \"import torch; torch.manual_seed(0); "
        "print(' '.join(repr(v) for v in ((torch.rand(40, 2) - 0.5) * 2 * "
        "40).flatten().tolist()))\" "
        "2>/dev/null",
        "r");
    std::string text;
    char buf[4096];
    while (pipe != nullptr && std::fgets(buf, sizeof buf, pipe) != nullptr) text += buf;
    if (pipe == nullptr || pclose(pipe) != 0 || text.empty())
        GTEST_SKIP() << "python3-torch not installed";
    std::istringstream in(text);
    const at::Tensor means = GaussianMixture::pita_gmm40()->means().reshape({-1});
    for (int64_t i = 0; i < 80; ++i) {
        double v = 0;
        in >> v;
        EXPECT_NEAR(means[i].item<double>(), v, 1e-5) << "entry " << i;
    }
}

}  // namespace
}  // namespace pita
