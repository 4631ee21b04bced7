// Metrics (spec §7): each exact solver is checked against an independent one (sorted 1-D
// matching, network simplex, brute force over permutations), and each sample metric against a
// case whose value is known in closed form.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include "pita/core/error.h"
#include "pita/energy/isotropic_gaussian.h"
#include "pita/energy/lennard_jones.h"
#include "pita/io/npy.h"
#include "pita/metrics/alignment.h"
#include "pita/metrics/assignment.h"
#include "pita/metrics/optimal_transport.h"
#include "pita/metrics/peptide_metrics.h"
#include "pita/metrics/sample_metrics.h"
#include "pita/metrics/torsion_metrics.h"
#include "pita/metrics/wasserstein_1d.h"
#include "support/test_helpers.h"

namespace pita {
namespace {

using ::testing::HasSubstr;

std::vector<double> uniform(std::mt19937_64& rng, int n, double lo, double hi) {
    std::uniform_real_distribution<double> u(lo, hi);
    std::vector<double> v(static_cast<std::size_t>(n));
    for (double& x : v) x = u(rng);
    return v;
}

/// min over permutations p of Σ_i C[i][p[i]], by enumeration.
double brute_force_assignment(const std::vector<double>& cost, int n) {
    std::vector<int> p(static_cast<std::size_t>(n));
    std::iota(p.begin(), p.end(), 0);
    double best = INFINITY;
    do {
        double s = 0;
        for (int i = 0; i < n; ++i) s += cost[static_cast<std::size_t>(i * n + p[i])];
        best = std::min(best, s);
    } while (std::next_permutation(p.begin(), p.end()));
    return best;
}

/// A uniformly random proper rotation (QR of a Gaussian matrix, signs fixed).
at::Tensor random_rotation(int64_t seed) {
    at::Generator gen = at::detail::createCPUGenerator(static_cast<uint64_t>(seed));
    const at::Tensor a = at::randn({3, 3}, gen, testing::kF64);
    auto [q, r] = at::linalg_qr(a);
    q = q * r.diagonal().sign().unsqueeze(0);
    if (at::det(q).item<double>() < 0) q.select(1, 0).neg_();
    return q;
}

TEST(Wasserstein1d, EqualSizesIsTheSortedMatching) {
    std::mt19937_64 rng(1);
    std::vector<double> a = uniform(rng, 40, -3, 3);
    std::vector<double> b = uniform(rng, 40, -1, 5);
    std::vector<double> sa = a, sb = b;
    std::sort(sa.begin(), sa.end());
    std::sort(sb.begin(), sb.end());
    double s1 = 0, s2 = 0;
    for (std::size_t i = 0; i < sa.size(); ++i) {
        s1 += std::abs(sa[i] - sb[i]);
        s2 += (sa[i] - sb[i]) * (sa[i] - sb[i]);
    }
    EXPECT_NEAR(wasserstein_1d(a, b, 1), s1 / 40, 1e-12);
    EXPECT_NEAR(wasserstein_1d(a, b, 2), std::sqrt(s2 / 40), 1e-12);
}

TEST(Wasserstein1d, UnequalSizesAgreeWithNetworkSimplexOnTheFullCostMatrix) {
    std::mt19937_64 rng(2);
    for (int trial = 0; trial < 5; ++trial) {
        const int n = 5 + trial, m = 11 - trial;
        const std::vector<double> a = uniform(rng, n, 0, 1);
        const std::vector<double> b = uniform(rng, m, -0.5, 2);
        std::vector<double> c1, c2;
        for (double x : a)
            for (double y : b) {
                c1.push_back(std::abs(x - y));
                c2.push_back((x - y) * (x - y));
            }
        EXPECT_NEAR(wasserstein_1d(a, b, 1), exact_transport_cost(c1, n, m), 1e-12);
        EXPECT_NEAR(wasserstein_1d(a, b, 2), std::sqrt(exact_transport_cost(c2, n, m)), 1e-12);
    }
}

TEST(Wasserstein1d, KnownValuesAndShiftInvariance) {
    EXPECT_DOUBLE_EQ(wasserstein_1d({0.0}, {0.0, 1.0}, 1), 0.5);
    EXPECT_DOUBLE_EQ(wasserstein_1d({0.0}, {0.0, 1.0}, 2), std::sqrt(0.5));
    std::mt19937_64 rng(3);
    std::vector<double> a = uniform(rng, 17, 0, 1);
    std::vector<double> b = a;
    for (double& x : b) x += 0.75;
    EXPECT_NEAR(wasserstein_1d(a, b, 2), 0.75, 1e-12);
}

TEST(Wasserstein1d, RejectsEmptyAndNonFiniteSamplesNamingTheIndex) {
    EXPECT_THAT(testing::error_message([] { wasserstein_1d({}, {1.0}, 1); }),
                HasSubstr("is empty"));
    try {
        wasserstein_1d({1.0, NAN}, {1.0}, 1);
        FAIL() << "no error";
    } catch (const NumericalError& e) {
        EXPECT_THAT(e.what(), HasSubstr("non-finite value at index 1"));
    }
}

TEST(OptimalTransport, EqualSizesIsTheBestPermutation) {
    // Birkhoff: with n = m and uniform weights some optimal coupling is a permutation.
    std::mt19937_64 rng(4);
    for (int trial = 0; trial < 5; ++trial) {
        const std::vector<double> c = uniform(rng, 36, 0, 10);
        EXPECT_NEAR(exact_transport_cost(c, 6, 6), brute_force_assignment(c, 6) / 6, 1e-10);
    }
    EXPECT_THAT(testing::error_message([] {
                    exact_transport_cost({1.0, 2.0}, 2, 2);
                }),
                HasSubstr("has 2 entries; expected 2 × 2"));
}

TEST(Assignment, MatchesBruteForceOnRandomMatrices) {
    std::mt19937_64 rng(5);
    for (int n : {1, 2, 5, 7}) {
        for (int trial = 0; trial < 4; ++trial) {
            const std::vector<double> c = uniform(rng, n * n, -2, 3);
            const std::vector<int> p = min_cost_assignment(c, n);
            std::vector<int> sorted = p;
            std::sort(sorted.begin(), sorted.end());
            std::vector<int> identity(static_cast<std::size_t>(n));
            std::iota(identity.begin(), identity.end(), 0);
            EXPECT_EQ(sorted, identity);  // a permutation
            double s = 0;
            for (int i = 0; i < n; ++i) s += c[static_cast<std::size_t>(i * n + p[i])];
            EXPECT_NEAR(s, brute_force_assignment(c, n), 1e-12);
        }
    }
}

TEST(Alignment, RecoversARotatedPermutedTranslatedCopy) {
    for (int64_t seed = 0; seed < 5; ++seed) {
        at::Generator gen = at::detail::createCPUGenerator(static_cast<uint64_t>(seed) + 10);
        const at::Tensor x = at::randn({13, 3}, gen, testing::kF64) * 1.3;
        const at::Tensor perm = at::randperm(13, gen, at::TensorOptions().dtype(at::kLong));
        const at::Tensor y = (x.index({perm}).matmul(random_rotation(seed).t()) +
                              at::tensor({0.3, -2.0, 1.0}, testing::kF64))
                                 .contiguous();
        const double aligned =
            aligned_squared_distance(x.data_ptr<double>(), y.data_ptr<double>(), 13, 3);
        EXPECT_LT(aligned, 1e-18) << "seed " << seed;
        const at::Tensor yc = y - y.mean(0, true);
        const at::Tensor xc = x - x.mean(0, true);
        EXPECT_GT((xc - yc).pow(2).sum().item<double>(), 1.0);  // the copy is not trivially equal
    }
}

TEST(Alignment, FindsTheMatchOfANoisyCopyAndIgnoresOrientation) {
    at::Generator gen = at::detail::createCPUGenerator(7);
    for (int trial = 0; trial < 10; ++trial) {
        const at::Tensor x = at::randn({13, 3}, gen, testing::kF64) * 1.3;
        const at::Tensor noise = 0.05 * at::randn({13, 3}, gen, testing::kF64);
        const at::Tensor perm = at::randperm(13, gen, at::TensorOptions().dtype(at::kLong));
        const at::Tensor y =
            (x + noise).index({perm}).matmul(random_rotation(trial).t()).contiguous();
        const double xy =
            aligned_squared_distance(x.data_ptr<double>(), y.data_ptr<double>(), 13, 3);
        // The known permutation and rotation achieve |noise − mean(noise)|²; the search must too.
        const double known = (noise - noise.mean(0, true)).pow(2).sum().item<double>();
        EXPECT_LE(xy, known + 1e-12) << "trial " << trial;
        // Rotating either input leaves the result unchanged.
        const at::Tensor z = at::randn({13, 3}, gen, testing::kF64);
        const double xz =
            aligned_squared_distance(x.data_ptr<double>(), z.data_ptr<double>(), 13, 3);
        const at::Tensor z_turned = z.matmul(random_rotation(50 + trial).t()).contiguous();
        EXPECT_NEAR(
            aligned_squared_distance(x.data_ptr<double>(), z_turned.data_ptr<double>(), 13, 3), xz,
            1e-9 * (1 + xz));
    }
}

TEST(SampleMetrics, EnergyDistancesOfAShiftedCopyAreTheShiftOverT) {
    const at::Tensor e = at::linspace(-40, -10, 101, testing::kF64);
    at::Tensor g = e + 3.0;
    g[5] = NAN;
    const EnergyDistances d = energy_distances(g, e, 2.0);
    EXPECT_EQ(d.non_finite, 1);
    // One value dropped, so not exactly a shift: W1 within one grid step/T of 1.5.
    EXPECT_NEAR(d.w1, 1.5, 0.3 / 2.0);
    const EnergyDistances exact = energy_distances(e + 3.0, e, 2.0);
    EXPECT_NEAR(exact.w1, 1.5, 1e-12);
    EXPECT_NEAR(exact.w2, 1.5, 1e-12);
    EXPECT_NEAR(exact.mean_gap, 1.5, 1e-12);
}

TEST(SampleMetrics, DistanceW2OfAScaledCopyIsTheScaleTimesTheRmsDistance) {
    at::Generator gen = at::detail::createCPUGenerator(8);
    const at::Tensor x = at::randn({20, 13, 3}, gen, testing::kF64);
    EXPECT_NEAR(interatomic_distance_w2(x, x), 0.0, 1e-12);
    const at::Tensor pairs = at::triu_indices(13, 13, 1);
    const at::Tensor d = at::cdist(x, x).index({at::indexing::Slice(), pairs[0], pairs[1]});
    const double rms = d.pow(2).mean().sqrt().item<double>();
    EXPECT_NEAR(interatomic_distance_w2(x * 1.01, x), 0.01 * rms, 1e-10);
}

TEST(SampleMetrics, ConfigurationalTemperatureOfExactGaussianSamples) {
    // E = |x|²/2 at T = 1.7: x ~ N(0, T·I), force = −x. The estimate must fall within 4 standard
    // errors of T (a 6e-5 false-failure rate for a fixed seed that either passes or not).
    at::Generator gen = at::detail::createCPUGenerator(9);
    const double temperature = 1.7;
    const at::Tensor x = at::randn({4000, 5, 3}, gen, testing::kF64) * std::sqrt(temperature);
    const ConfigurationalTemperature c = configurational_temperature(x, -x, false);
    EXPECT_NEAR(c.value, temperature, 4 * c.standard_error);
    EXPECT_LT(c.standard_error, 0.02);
    // Mean-free: the force of E = |x − x̄|²/2 is −(x − x̄); 12 degrees of freedom, same T.
    const at::Tensor centred = x - x.mean(1, true);
    const ConfigurationalTemperature m = configurational_temperature(x, -centred, true);
    EXPECT_NEAR(m.value, temperature, 4 * m.standard_error);
}

TEST(SampleMetrics, RughConfigurationalTemperatureOfGaussianAndLennardJonesSamples) {
    // Exact samples of exp(−E/T) for E = |x|²/(2·0.5) at T = 1.7: x ~ N(0, 0.85·I). The central
    // differences are exact for a quadratic, so only sampling noise remains: within 4 s.e.
    at::Generator gen = at::detail::createCPUGenerator(19);
    const IsotropicGaussian gauss(5, 3, 0.5);
    const at::Tensor x = at::randn({2000, 5, 3}, gen, testing::kF64) * std::sqrt(1.7 * 0.5);
    const ConfigurationalTemperature g = rugh_configurational_temperature(gauss, x);
    EXPECT_NEAR(g.value, 1.7, 4 * g.standard_error);
    EXPECT_LT(g.standard_error, 0.02);
    EXPECT_EQ(gauss.evaluations(), 2000 * (1 + 2 * 15));
    // The shipped LJ-13 reference at T = 1 (parallel tempering, data/lj13/README.md): every
    // 20th of its samples (~independent, τ ≈ 1 kept sample), a non-quadratic energy.
    const at::Tensor ref =
        read_npy(std::string(PITA_SOURCE_DIR) + "/data/lj13/reference/T1/samples.npy");
    const LennardJones lj;
    const ConfigurationalTemperature t =
        rugh_configurational_temperature(lj, ref.slice(0, 0, ref.size(0), 20).to(at::kDouble));
    EXPECT_NEAR(t.value, 1.0, 4 * t.standard_error) << t.value << " ± " << t.standard_error;
    EXPECT_LT(t.standard_error, 0.03);
}

TEST(TorsionMetrics, TorusW2WrapsAroundPiAndTheEuclideanFormsDoNot) {
    // One point each: φ = 3.1 against φ = −3.1 are 0.083 rad apart on the circle, 6.2 in the
    // plane (the reference's non-periodic W1/W2).
    const at::Tensor a = at::tensor({3.1}, at::kDouble).view({1, 1});
    const at::Tensor b = at::tensor({-3.1}, at::kDouble).view({1, 1});
    const TorsionDistances d = torsion_distances(a, b);
    EXPECT_NEAR(d.torus_w2, 2 * M_PI - 6.2, 1e-12);
    EXPECT_NEAR(d.w1, 6.2, 1e-12);
    EXPECT_NEAR(d.w2, 6.2, 1e-12);
    // Identical sets are at distance zero; a set against itself shifted by δ in every angle is
    // at exactly δ·sqrt(k) (the identity coupling is optimal for a rigid shift).
    at::Generator gen = at::detail::createCPUGenerator(5);
    const at::Tensor x = (at::rand({200, 2}, gen, testing::kF64) - 0.5) * 4.0;  // inside (−2, 2)
    EXPECT_NEAR(torsion_distances(x, x).torus_w2, 0.0, 1e-12);
    const TorsionDistances shifted = torsion_distances(x + 0.1, x);
    EXPECT_NEAR(shifted.torus_w2, 0.1 * std::sqrt(2.0), 1e-9);
    EXPECT_NEAR(shifted.w2, 0.1 * std::sqrt(2.0), 1e-9);
    EXPECT_THROW(torsion_distances(x, at::zeros({3, 3}, testing::kF64)), ConfigError);
}

TEST(SampleMetrics, EquivariantW2IsZeroForRotatedPermutedCopiesAndPositiveOtherwise) {
    at::Generator gen = at::detail::createCPUGenerator(11);
    const at::Tensor a = at::randn({12, 13, 3}, gen, testing::kF64);
    std::vector<at::Tensor> moved;
    for (int64_t i = 0; i < 12; ++i) {
        const at::Tensor perm = at::randperm(13, gen, at::TensorOptions().dtype(at::kLong));
        moved.push_back(a[11 - i].index({perm}).matmul(random_rotation(100 + i).t()));
    }
    const at::Tensor b = at::stack(moved);
    EXPECT_LT(equivariant_w2(a, b), 1e-8);
    EXPECT_GT(interatomic_distance_w2(a, b), -1.0);  // defined on the same sets
    const at::Tensor c = a + 0.1 * at::randn({12, 13, 3}, gen, testing::kF64);
    const double w = equivariant_w2(a, c);
    EXPECT_GT(w, 0.0);
    // At most the unaligned matching a_i ↔ c_i: sqrt(mean |a_i − c_i|²) over centred copies.
    const at::Tensor diff = (a - a.mean(1, true)) - (c - c.mean(1, true));
    EXPECT_LE(w, diff.pow(2).sum({1, 2}).mean().sqrt().item<double>() + 1e-12);
}

}  // namespace
}  // namespace pita

namespace pita {
namespace {

/// `chains` symmetric two-state Markov chains (switching with probability q per frame), as φ
/// angles ±1 rad, record-major: row chains·f + c is frame f of chain c.
at::Tensor two_basin_series(int64_t frames, int64_t chains, double q, uint32_t seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    at::Tensor a = at::empty({frames, chains}, at::kDouble);
    auto acc = a.accessor<double, 2>();
    for (int64_t c = 0; c < chains; ++c) {
        double s = u(rng) < 0.5 ? 1.0 : -1.0;
        for (int64_t f = 0; f < frames; ++f) {
            if (u(rng) < q) s = -s;
            acc[f][c] = s;
        }
    }
    return a.reshape(-1);
}

TEST(PositiveFraction, OfChainsCountsTheAutocorrelationOfAMetastableSeries) {
    // Switching with q = 0.02 per frame: ρ(t) = (1 − 2q)^t, so τ = (2 − 2q)/(2q) = 49 frames
    // and the error is sqrt(49) = 7 times the independent one. 64 000 frames give τ to ~12 %
    // (Sokal's window M ≈ 5τ: relative sd sqrt(2(2M + 1)/N)); the tolerance of 40 % is ~3 sd.
    const at::Tensor phi = two_basin_series(8000, 8, 0.02, 7);
    const PositiveFraction f = positive_fraction_of_chains(phi, 8);
    EXPECT_EQ(f.standard_error_from, "chains");
    EXPECT_NEAR(f.tau, 49.0, 0.4 * 49.0);
    const double independent = std::sqrt(f.fraction * (1 - f.fraction) / 64000.0);
    EXPECT_NEAR(f.standard_error / independent, 7.0, 0.2 * 7.0 + 0.5);
    EXPECT_EQ(f.distinct_samples, 64000);
}

TEST(PositiveFraction, OfChainsKeepsTheIndependentErrorForIndependentFrames) {
    // q = 0.5: every frame is a fresh coin, τ = 1 (estimate within ±0.3: ~4 sd at 4 000 frames).
    const at::Tensor phi = two_basin_series(1000, 4, 0.5, 11);
    const PositiveFraction f = positive_fraction_of_chains(phi, 4);
    EXPECT_NEAR(f.tau, 1.0, 0.3);
    const double independent = std::sqrt(f.fraction * (1 - f.fraction) / 4000.0);
    EXPECT_NEAR(f.standard_error / independent, 1.0, 0.15);
}

TEST(PositiveFraction, OfChainsFallsBackWhenTooShortAndRefusesAMisfit) {
    const at::Tensor phi = two_basin_series(16, 4, 0.1, 3);  // < 32 frames per chain
    const PositiveFraction f = positive_fraction_of_chains(phi, 4);
    EXPECT_EQ(f.standard_error_from, "distinct samples");
    EXPECT_DOUBLE_EQ(f.standard_error, std::sqrt(f.fraction * (1 - f.fraction) / 64.0));
    EXPECT_THROW(positive_fraction_of_chains(phi, 5), ConfigError);
}

TEST(PositiveFraction, OfLineagesCountsTrajectoriesNotCopies) {
    // 64 lineages of 8 copies each (distinct angles, same basin): with equal cluster sizes the
    // cluster-robust error is exactly sqrt(p(1 − p)/(C − 1)), sqrt(8 · 511/504) times the
    // distinct-sample one.
    constexpr int64_t kC = 64, kCopies = 8;
    at::Tensor angles = at::empty({kC * kCopies}, at::kDouble);
    at::Tensor lineage = at::empty({kC * kCopies}, at::kLong);
    for (int64_t c = 0; c < kC; ++c)
        for (int64_t j = 0; j < kCopies; ++j) {
            const int64_t i = c * kCopies + j;
            angles[i] = (c % 10 < 3 ? 1.0 : -1.0) * (1.0 + 0.001 * static_cast<double>(i));
            lineage[i] = 1000 + 3 * c;  // any labels
        }
    const PositiveFraction f = positive_fraction_of_lineages(angles, lineage);
    const double p = f.fraction;
    EXPECT_EQ(f.standard_error_from, "lineages");
    EXPECT_EQ(f.lineages, kC);
    EXPECT_EQ(f.distinct_samples, kC * kCopies);
    EXPECT_NEAR(f.standard_error, std::sqrt(p * (1 - p) / (kC - 1)), 1e-12);
    EXPECT_GT(f.standard_error, 2.5 * positive_fraction(angles).standard_error);
    // Every sample its own lineage: the distinct-sample error (the estimator's C/(C − 1) aside).
    const PositiveFraction own = positive_fraction_of_lineages(angles, at::arange(kC * kCopies));
    EXPECT_NEAR(own.standard_error, positive_fraction(angles).standard_error, 1e-3);
    // One lineage: one draw, the largest error a fraction can have.
    EXPECT_EQ(
        positive_fraction_of_lineages(angles, at::zeros({kC * kCopies}, at::kLong)).standard_error,
        0.5);
    EXPECT_THROW(positive_fraction_of_lineages(angles, at::zeros({3}, at::kLong)), ConfigError);
}

}  // namespace
}  // namespace pita
