#include "pita/energy/double_well.h"

#include <cmath>
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

// Configurations with pair distances spread over both wells (~1 to ~8).
at::Tensor random_configs(int64_t batch, uint64_t seed, int64_t n = 4, int64_t dim = 2) {
    at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(seed);
    return at::randn({batch, n, dim}, gen, kF64) * 2.5;
}

// Two particles on the x axis `distance` apart.
at::Tensor dimer(double distance) {
    return at::tensor({0.0, 0.0, distance, 0.0}, kF64).view({1, 2, 2});
}

DoubleWellParams dimer_params(double a = 0.0) {
    DoubleWellParams p;
    p.n_particles = 2;
    p.a = a;
    return p;
}

// The formula written out in plain double loops, independent of the tensor code.
double hand_energy(const at::Tensor& config, const DoubleWellParams& p) {
    const auto x = config.accessor<double, 2>();
    double e = 0;
    for (int64_t i = 0; i < p.n_particles; ++i) {
        for (int64_t j = i + 1; j < p.n_particles; ++j) {
            double r2 = 0;
            for (int64_t k = 0; k < p.spatial_dim; ++k)
                r2 += (x[i][k] - x[j][k]) * (x[i][k] - x[j][k]);
            const double u = std::sqrt(r2 + p.regulariser) - p.d0;
            e += p.a * u + p.b * u * u + p.c * u * u * u * u;
        }
    }
    return e / p.tau;
}

TEST(DoubleWell, DefaultsAreDw4) {
    const DoubleWell dw;
    EXPECT_EQ(dw.n_particles(), 4);
    EXPECT_EQ(dw.spatial_dim(), 2);
    EXPECT_TRUE(dw.translation_invariant());
    EXPECT_EQ(dw.degrees_of_freedom(), 6);
    const nlohmann::json cfg = dw.config();
    EXPECT_EQ(cfg.at("type"), "double_well");
    EXPECT_EQ(cfg.at("n_particles"), 4);
    EXPECT_EQ(cfg.at("spatial_dim"), 2);
    EXPECT_DOUBLE_EQ(cfg.at("a").get<double>(), 0.0);
    EXPECT_DOUBLE_EQ(cfg.at("b").get<double>(), -4.0);
    EXPECT_DOUBLE_EQ(cfg.at("c").get<double>(), 0.9);
    EXPECT_DOUBLE_EQ(cfg.at("d0").get<double>(), 4.0);
    EXPECT_DOUBLE_EQ(cfg.at("tau").get<double>(), 1.0);
    EXPECT_DOUBLE_EQ(cfg.at("regulariser").get<double>(), 1e-6);
}

TEST(DoubleWell, PairAtOffsetDistanceContributesZero) {
    // The 1e-6 regulariser moves u by 1e-6/(2·d0) ≈ 1.3e-7, i.e. E ≈ b·u² ≈ 6e-14: below 1e-12.
    const DoubleWell dw(dimer_params());
    EXPECT_NEAR(dw.energy(dimer(4.0)).item<double>(), 0.0, 1e-12);
}

TEST(DoubleWell, PairOneAwayFromOffsetContributesBPlusC) {
    // u = ±1: a·u + b + c, i.e. b + c = −3.1 for a = 0 and ±0.5 − 3.1 for a = 0.5. The
    // regulariser shifts u by ≤ 1e-6/(2·3), so the tolerance is 1e-6.
    const DoubleWell dw(dimer_params());
    EXPECT_NEAR(dw.energy(dimer(5.0)).item<double>(), -3.1, 1e-6);
    EXPECT_NEAR(dw.energy(dimer(3.0)).item<double>(), -3.1, 1e-6);
    const DoubleWell tilted(dimer_params(0.5));
    EXPECT_NEAR(tilted.energy(dimer(5.0)).item<double>(), 0.5 - 3.1, 1e-6);
    EXPECT_NEAR(tilted.energy(dimer(3.0)).item<double>(), -0.5 - 3.1, 1e-6);
}

TEST(DoubleWell, TemperatureDividesTheEnergy) {
    DoubleWellParams p = dimer_params();
    p.tau = 2.0;
    EXPECT_NEAR(DoubleWell(p).energy(dimer(5.0)).item<double>(), -3.1 / 2, 1e-6);
}

TEST(DoubleWell, FourParticleEnergyMatchesHandLoop) {
    DoubleWellParams custom;
    custom.a = 0.3;
    custom.b = -2.0;
    custom.c = 1.1;
    custom.d0 = 3.0;
    custom.tau = 0.7;
    const at::Tensor x = random_configs(16, 1);
    for (const DoubleWellParams& p : {DoubleWellParams{}, custom}) {
        const at::Tensor e = DoubleWell(p).energy(x);
        for (int64_t r = 0; r < 16; ++r) {
            const double expected = hand_energy(x[r], p);
            EXPECT_NEAR(e[r].item<double>(), expected, 1e-12 * (1 + std::abs(expected)))
                << "row " << r << " a=" << p.a;
        }
    }
}

TEST(DoubleWell, ForceMatchesFiniteDifferences) {
    // float64 central differences with eps = 1e-6: round-off ~1e-16·|E|/eps ≈ 1e-8 for |E| ~ 100,
    // truncation eps²·|E'''| ≈ 1e-11; tolerance 1e-6 relative plus 1e-6 absolute.
    DoubleWellParams p;
    p.a = 0.3;  // exercise the linear term too
    const DoubleWell dw(p);
    const at::Tensor x = random_configs(8, 2);
    const at::Tensor force = dw.energy_and_force(x).force;
    const double eps = 1e-6;
    at::Tensor fd = at::zeros_like(x);
    for (int64_t i = 0; i < 4; ++i) {
        for (int64_t k = 0; k < 2; ++k) {
            at::Tensor xp = x.clone();
            at::Tensor xm = x.clone();
            xp.select(1, i).select(1, k).add_(eps);
            xm.select(1, i).select(1, k).sub_(eps);
            const at::Tensor step = xp.select(1, i).select(1, k) - xm.select(1, i).select(1, k);
            fd.select(1, i).select(1, k).copy_(-(dw.energy(xp) - dw.energy(xm)) / step);
        }
    }
    EXPECT_TRUE(at::allclose(force, fd, 1e-6, 1e-6))
        << "max err " << (force - fd).abs().max().item<double>();
}

TEST(DoubleWell, ForceMatchesAutograd) {
    // Same expression differentiated two ways: agreement to round-off.
    const DoubleWell dw;
    const at::Tensor x = random_configs(8, 3);
    const EnergyAndForce ef = dw.energy_and_force(x);
    const at::Tensor xg = x.clone().requires_grad_(true);
    const at::Tensor e = dw.energy(xg);
    const at::Tensor grad = torch::autograd::grad({e.sum()}, {xg})[0];
    EXPECT_TRUE(at::allclose(ef.energy, e.detach(), 0, 1e-12));
    EXPECT_TRUE(at::allclose(ef.force, -grad, 1e-12, 1e-12));
}

TEST(DoubleWell, PairAtWellBottomFeelsNoForce) {
    // E'(u) = 2bu + 4cu³ = 0 at u = ±sqrt(−b/(2c)); place the regularised distance there.
    const DoubleWell dw(dimer_params());
    const double u_star = std::sqrt(4.0 / 1.8);
    for (double d : {4.0 + u_star, 4.0 - u_star}) {
        const EnergyAndForce ef = dw.energy_and_force(dimer(std::sqrt(d * d - 1e-6)));
        EXPECT_LT(ef.force.abs().max().item<double>(), 1e-12) << "d=" << d;
        EXPECT_NEAR(ef.energy.item<double>(), -4.0 * u_star * u_star + 0.9 * std::pow(u_star, 4),
                    1e-12);
    }
}

TEST(DoubleWell, EnergyIsTranslationAndRotationInvariant) {
    const DoubleWell dw;
    const at::Tensor x = random_configs(16, 4);
    const EnergyAndForce ef = dw.energy_and_force(x);
    at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(5);
    const at::Tensor shift = at::randn({16, 1, 2}, gen, kF64) * 10;
    const EnergyAndForce shifted = dw.energy_and_force(x + shift);
    EXPECT_TRUE(at::allclose(shifted.energy, ef.energy, 1e-10, 1e-10));
    EXPECT_TRUE(at::allclose(shifted.force, ef.force, 1e-9, 1e-9));
    // Pair forces are equal and opposite, so they sum to zero on every configuration.
    EXPECT_LT(ef.force.sum(1).abs().max().item<double>(), 1e-10);
    const double c = std::cos(0.7);
    const double s = std::sin(0.7);
    const at::Tensor rot = at::tensor({c, -s, s, c}, kF64).view({2, 2});
    const at::Tensor rotated = at::matmul(x, rot.t());
    const EnergyAndForce turned = dw.energy_and_force(rotated);
    EXPECT_TRUE(at::allclose(turned.energy, ef.energy, 1e-10, 1e-10));
    EXPECT_TRUE(at::allclose(turned.force, at::matmul(ef.force, rot.t()), 1e-9, 1e-9));
}

TEST(DoubleWell, Float32AgreesWithFloat64) {
    // float32 has ~7 digits and energies reach ~10², so 1e-5 relative + 1e-3 absolute.
    const DoubleWell dw;
    const at::Tensor x64 = random_configs(32, 6);
    const EnergyAndForce ef64 = dw.energy_and_force(x64);
    const EnergyAndForce ef32 = dw.energy_and_force(x64.to(at::kFloat));
    EXPECT_EQ(ef32.energy.scalar_type(), at::kFloat);
    EXPECT_EQ(ef32.force.scalar_type(), at::kFloat);
    EXPECT_TRUE(at::allclose(ef32.energy.to(at::kDouble), ef64.energy, 1e-5, 1e-3));
    EXPECT_TRUE(at::allclose(ef32.force.to(at::kDouble), ef64.force, 1e-5, 1e-3));
    EXPECT_TRUE(
        at::allclose(dw.energy(x64.to(at::kFloat)).to(at::kDouble), ef64.energy, 1e-5, 1e-3));
}

TEST(DoubleWell, BatchOfOneMatchesBatchOf64) {
    const DoubleWell dw;
    const at::Tensor x = random_configs(64, 7);
    const EnergyAndForce ef = dw.energy_and_force(x);
    for (int64_t r = 0; r < 64; r += 9) {
        const EnergyAndForce one = dw.energy_and_force(x.slice(0, r, r + 1));
        EXPECT_NEAR(one.energy.item<double>(), ef.energy[r].item<double>(), 1e-12) << "row " << r;
        EXPECT_TRUE(at::allclose(one.force[0], ef.force[r], 1e-12, 1e-12)) << "row " << r;
    }
}

TEST(DoubleWell, WorksForOtherParticleCountsAndDimensions) {
    DoubleWellParams p;
    p.n_particles = 5;
    p.spatial_dim = 3;
    const DoubleWell dw(p);
    const at::Tensor x = random_configs(4, 8, 5, 3);
    const at::Tensor e = dw.energy(x);
    for (int64_t r = 0; r < 4; ++r) {
        EXPECT_NEAR(e[r].item<double>(), hand_energy(x[r], p), 1e-10) << "row " << r;
    }
}

TEST(DoubleWell, CountsOneEvaluationPerRow) {
    const DoubleWell dw;
    dw.energy(random_configs(64, 9));
    EXPECT_EQ(dw.evaluations(), 64);
    dw.energy_and_force(random_configs(10, 9));
    EXPECT_EQ(dw.evaluations(), 74);
}

TEST(DoubleWell, RejectsBadParametersAllAtOnce) {
    DoubleWellParams p;
    p.n_particles = 1;
    p.tau = 0.0;
    p.c = NAN;
    const std::string msg = error_message([&] { DoubleWell dw(p); });
    EXPECT_THAT(msg, HasSubstr("[double_well] invalid parameters"));
    EXPECT_THAT(msg, HasSubstr("n_particles: got 1; expected >= 2"));
    EXPECT_THAT(msg, HasSubstr("tau: got 0; expected a finite value > 0"));
    EXPECT_THAT(msg, HasSubstr("c: got nan; expected finite"));
    const DoubleWell dw;
    EXPECT_THAT(error_message([&] {
                    dw.energy(at::zeros({3, 8}, kF64));
                }),
                HasSubstr("wrong input shape: got [3, 8]; expected [batch, 4, 2]"));
}

}  // namespace
}  // namespace pita
