#include "pita/energy/lennard_jones.h"

#include <cmath>

#include <ATen/ATen.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "pita/core/error.h"
#include "pita/core/rng.h"

namespace pita {
namespace {

using ::testing::HasSubstr;

// A dimer plus particles so far away that their pair terms vanish to double precision.
at::Tensor far_cluster_with_dimer(double r) {
    at::Tensor x = at::zeros({1, 13, 3}, at::kDouble);
    for (int64_t i = 2; i < 13; ++i) x[0][i][0] = 1000.0 * static_cast<double>(i);
    x[0][1][0] = r;
    return x;
}

double harmonic(const at::Tensor& x) {
    const at::Tensor c = x - x.mean(1, true);
    return 0.5 * c.pow(2).sum().item<double>();
}

TEST(LennardJones, DimerAtPairMinimumContributesMinusTwo) {
    LennardJones lj;
    const at::Tensor x = far_cluster_with_dimer(1.0);
    const double e = lj.energy(x).item<double>();
    // Pair term: 2·[(1/r)^12 − 2(1/r)^6] with r = sqrt(1 + 1e-6); the far pairs add ~1e-36.
    const double r = std::sqrt(1.0 + 1e-6);
    const double expected = 2.0 * (std::pow(r, -12) - 2.0 * std::pow(r, -6)) + harmonic(x);
    EXPECT_NEAR(e, expected, 1e-9 * std::abs(expected));
    EXPECT_NEAR(2.0 * (std::pow(r, -12) - 2.0 * std::pow(r, -6)), -2.0, 1e-5);
}

TEST(LennardJones, RegulariserEntersInsideTheSquareRoot) {
    LennardJonesParams p;
    p.n_particles = 2;
    LennardJones lj(p);
    at::Tensor x = at::zeros({1, 2, 3}, at::kDouble);  // coincident particles: r = sqrt(1e-6)
    const double e = lj.energy(x).item<double>();
    const double r = 1e-3;
    EXPECT_NEAR(e / (2.0 * (std::pow(r, -12) - 2.0 * std::pow(r, -6))), 1.0, 1e-12);
    p.regulariser = 0.0;  // then coincident particles are a singularity, returned as data
    EXPECT_FALSE(std::isfinite(LennardJones(p).energy(x).item<double>()));
}

TEST(LennardJones, HandComputedThreeParticleCluster) {
    LennardJonesParams p;
    p.n_particles = 3;
    LennardJones lj(p);
    const at::Tensor x =
        at::tensor({0.0, 0.0, 0.0, 1.1, 0.0, 0.0, 0.3, 0.9, 0.2}, at::kDouble).view({1, 3, 3});
    double expected = 0.0;
    auto pos = x[0];
    for (int i = 0; i < 3; ++i)
        for (int j = 0; j < 3; ++j) {
            if (i == j) continue;  // ordered pairs, energy_factor 1
            const double r = std::sqrt((pos[i] - pos[j]).pow(2).sum().item<double>() + 1e-6);
            expected += std::pow(r, -12) - 2.0 * std::pow(r, -6);
        }
    expected += harmonic(x);
    EXPECT_NEAR(lj.energy(x).item<double>(), expected, 1e-12 * std::abs(expected));
}

TEST(LennardJones, ForceMatchesCentralFiniteDifferencesInFloat64) {
    LennardJones lj;
    at::Generator gen = make_generator(7);
    const at::Tensor x = lj.initial_configurations(4, gen);
    const at::Tensor f = lj.energy_and_force(x).force;
    const double h = 1e-6;
    double max_err = 0.0;
    for (int64_t i = 0; i < 13; ++i)
        for (int64_t k = 0; k < 3; ++k) {
            at::Tensor xp = x.clone();
            at::Tensor xm = x.clone();
            xp.select(1, i).select(1, k).add_(h);
            xm.select(1, i).select(1, k).sub_(h);
            const at::Tensor fd = -(lj.energy(xp) - lj.energy(xm)) / (2 * h);
            max_err =
                std::max(max_err, (fd - f.select(1, i).select(1, k)).abs().max().item<double>());
        }
    // Central differences with h=1e-6: truncation ~h²·|E'''| and rounding ~1e-16·|E|/h ≈ 1e-8.
    EXPECT_LT(max_err / f.abs().max().item<double>(), 1e-6);
}

TEST(LennardJones, CpuKernelAgreesWithDifferentiableTensorPath) {
    LennardJones lj;
    at::Generator gen = make_generator(3);
    const at::Tensor x = lj.initial_configurations(16, gen);
    const EnergyAndForce fast = lj.energy_and_force(x);
    // requires_grad routes through the LibTorch-ops path (the one used on GPUs).
    const at::Tensor xg = x.clone().requires_grad_(true);
    const at::Tensor e_ops = lj.energy(xg);
    e_ops.sum().backward();
    EXPECT_TRUE(at::allclose(fast.energy, e_ops.detach(), 1e-12, 1e-10));
    EXPECT_TRUE(at::allclose(fast.force, -xg.grad(), 1e-10, 1e-9));
}

TEST(LennardJones, TranslationDoesNotChangeEnergyOrForce) {
    LennardJones lj;
    at::Generator gen = make_generator(11);
    const at::Tensor x = lj.initial_configurations(8, gen);
    const at::Tensor shifted = x + at::tensor({3.0, -2.0, 0.5}, at::kDouble).view({1, 1, 3});
    const EnergyAndForce a = lj.energy_and_force(x);
    const EnergyAndForce b = lj.energy_and_force(shifted);
    EXPECT_TRUE(at::allclose(a.energy, b.energy, 1e-12, 1e-9));
    EXPECT_TRUE(at::allclose(a.force, b.force, 1e-10, 1e-9));
    // A translation-invariant energy has forces that sum to zero.
    EXPECT_LT(a.force.sum(1).abs().max().item<double>(), 1e-9);
}

TEST(LennardJones, Float32AgreesWithFloat64) {
    LennardJones lj;
    at::Generator gen = make_generator(5);
    const at::Tensor x = lj.initial_configurations(32, gen);
    const EnergyAndForce d = lj.energy_and_force(x);
    const EnergyAndForce f = lj.energy_and_force(x.to(at::kFloat));
    EXPECT_EQ(f.energy.scalar_type(), at::kFloat);
    EXPECT_EQ(f.force.scalar_type(), at::kFloat);
    // Inputs rounded to float32 (rel 6e-8) move E by ~|∇E|·|x|·6e-8; 1e-5 relative is generous.
    EXPECT_TRUE(at::allclose(f.energy.to(at::kDouble), d.energy, 1e-5, 1e-4));
    EXPECT_TRUE(at::allclose(f.force.to(at::kDouble), d.force, 1e-4, 1e-3));
}

TEST(LennardJones, BatchOfOneMatchesRowOfBatch) {
    LennardJones lj;
    at::Generator gen = make_generator(9);
    const at::Tensor x = lj.initial_configurations(64, gen);
    const at::Tensor all = lj.energy(x);
    for (int64_t b : {0, 17, 63}) {
        EXPECT_DOUBLE_EQ(lj.energy(x.slice(0, b, b + 1)).item<double>(), all[b].item<double>());
    }
}

TEST(LennardJones, CountsEveryEvaluatedConfiguration) {
    LennardJones lj;
    at::Generator gen = make_generator(1);
    const at::Tensor x = lj.initial_configurations(10, gen);
    lj.energy(x);
    lj.energy_and_force(x.slice(0, 0, 3));
    EXPECT_EQ(lj.evaluations(), 13);
    lj.reset_evaluations();
    EXPECT_EQ(lj.evaluations(), 0);
}

TEST(LennardJones, NanInOneRowGivesNanForThatRowOnly) {
    LennardJones lj;
    at::Generator gen = make_generator(2);
    at::Tensor x = lj.initial_configurations(4, gen);
    x[2][5][1] = NAN;
    const at::Tensor e = lj.energy(x);
    EXPECT_TRUE(std::isnan(e[2].item<double>()));
    EXPECT_TRUE(
        at::isfinite(e.index_select(0, at::tensor({0, 1, 3}, at::kLong))).all().item<bool>());
}

TEST(LennardJones, InitialConfigurationsHaveNoOverlaps) {
    LennardJones lj;
    at::Generator gen = make_generator(4);
    const at::Tensor x = lj.initial_configurations(100, gen);
    EXPECT_LT(x.mean(1).abs().max().item<double>(), 1e-12);  // mean-free
    const at::Tensor pairs = at::triu_indices(13, 13, 1);
    const at::Tensor r = (x.index_select(1, pairs[0]) - x.index_select(1, pairs[1])).norm(2, -1);
    EXPECT_GT(r.min().item<double>(), 0.7);  // lattice spacing 1 with 5% jitter: no clashes
    EXPECT_TRUE(at::isfinite(lj.energy(x)).all().item<bool>());
}

TEST(LennardJones, WrongShapeIsAClearError) {
    LennardJones lj;
    try {
        lj.energy(at::zeros({4, 39}, at::kDouble));
        FAIL() << "expected ConfigError";
    } catch (const ConfigError& e) {
        EXPECT_THAT(e.what(), HasSubstr("wrong input shape: got [4, 39]; expected [batch, 13, 3]"));
    }
    EXPECT_THROW(lj.energy(at::zeros({4, 13, 3}, at::kLong)), ConfigError);
}

}  // namespace
}  // namespace pita

namespace pita {
namespace {

TEST(LennardJones, Lj55HasForcesConsistentWithItsEnergy) {
    LennardJonesParams p;
    p.n_particles = 55;
    LennardJones lj(p);
    EXPECT_EQ(lj.degrees_of_freedom(), 162);
    at::Generator gen = make_generator(55);
    const at::Tensor x = lj.initial_configurations(2, gen);
    const EnergyAndForce ef = lj.energy_and_force(x);
    ASSERT_TRUE(at::isfinite(ef.energy).all().item<bool>());
    const double h = 1e-6;
    for (int64_t i : {0, 27, 54}) {
        at::Tensor xp = x.clone();
        at::Tensor xm = x.clone();
        xp.select(1, i).select(1, 2).add_(h);
        xm.select(1, i).select(1, 2).sub_(h);
        const at::Tensor fd = -(lj.energy(xp) - lj.energy(xm)) / (2 * h);
        EXPECT_TRUE(at::allclose(fd, ef.force.select(1, i).select(1, 2), 1e-6, 1e-6)) << i;
    }
}

}  // namespace
}  // namespace pita

namespace pita {
namespace {

// Runs where a CUDA LibTorch sees a GPU; skips cleanly elsewhere (CI has none).
TEST(LennardJonesGpu, CudaTensorPathMatchesCpuKernel) {
    if (!at::hasCUDA()) GTEST_SKIP() << "no CUDA device in this build";
    LennardJones lj;
    at::Generator gen = make_generator(6);
    const at::Tensor x = lj.initial_configurations(64, gen);
    const EnergyAndForce cpu = lj.energy_and_force(x);
    const EnergyAndForce gpu = lj.energy_and_force(x.to(at::kCUDA));
    EXPECT_TRUE(gpu.energy.is_cuda());
    EXPECT_TRUE(at::allclose(gpu.energy.cpu(), cpu.energy, 1e-12, 1e-9));
    EXPECT_TRUE(at::allclose(gpu.force.cpu(), cpu.force, 1e-10, 1e-8));
}

}  // namespace
}  // namespace pita
