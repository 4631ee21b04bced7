#include "pita/mcmc/mala.h"

#include <cmath>

#include <ATen/ATen.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "pita/core/error.h"
#include "pita/core/rng.h"
#include "pita/energy/isotropic_gaussian.h"
#include "pita/energy/lennard_jones.h"
#include "pita/mcmc/parallel_tempering.h"

namespace pita {
namespace {

using ::testing::HasSubstr;

// E = |x|²/2 inside the unit ball and +inf outside: proposals outside must be rejected.
class HardWallGaussian final : public Energy {
  public:
    std::string name() const override { return "hard_wall"; }
    int64_t n_particles() const override { return 1; }
    int64_t spatial_dim() const override { return 2; }
    bool translation_invariant() const override { return false; }
    nlohmann::json config() const override { return {{"type", "hard_wall"}}; }

  protected:
    at::Tensor compute_energy(const at::Tensor& x) const override {
        const at::Tensor r2 = x.pow(2).sum({1, 2});
        return at::where(r2 < 1.0, 0.5 * r2, at::full_like(r2, INFINITY));
    }
};

TEST(Mala, RejectsEveryNonFiniteProposal) {
    HardWallGaussian wall;
    Mala mala(wall, MalaOptions{0.5}, std::vector<double>(256, 1.0), std::vector<int64_t>(256, 0));
    at::Generator gen = make_generator(1);
    ChainState s = mala.init(at::zeros({256, 1, 2}, at::kDouble));
    int64_t accepted = 0;
    for (int i = 0; i < 50; ++i) accepted += mala.step(s, gen, false).sum().item<int64_t>();
    EXPECT_GT(accepted, 0);
    EXPECT_TRUE(at::isfinite(s.energy).all().item<bool>());
    EXPECT_LT(s.x.pow(2).sum({1, 2}).max().item<double>(), 1.0);
}

TEST(Mala, NonFiniteStartingEnergyNamesTheChain) {
    HardWallGaussian wall;
    Mala mala(wall, MalaOptions{}, std::vector<double>(4, 1.0), std::vector<int64_t>(4, 0));
    at::Tensor x0 = at::zeros({4, 1, 2}, at::kDouble);
    x0[2][0][0] = 5.0;
    try {
        mala.init(x0);
        FAIL() << "expected NumericalError";
    } catch (const NumericalError& e) {
        EXPECT_THAT(e.what(), HasSubstr("non-finite energy in chain 2 of 4"));
    }
}

TEST(Mala, SameSeedIsBitwiseIdenticalAndOtherSeedDiffers) {
    LennardJones lj;
    auto run = [&](uint64_t seed) {
        Mala mala(lj, MalaOptions{}, std::vector<double>(8, 2.0), std::vector<int64_t>(8, 0));
        at::Generator init = make_generator(99);
        ChainState s = mala.init(lj.initial_configurations(8, init));
        at::Generator gen = make_generator(seed);
        for (int i = 0; i < 20; ++i) mala.step(s, gen, true);
        return s.x;
    };
    EXPECT_TRUE(at::equal(run(5), run(5)));
    EXPECT_FALSE(at::equal(run(5), run(6)));
}

TEST(Mala, FusedCpuKernelMakesTheSameMovesAsGenericOps) {
    LennardJones lj;
    auto run = [&](MalaKernel kernel, at::ScalarType dtype) {
        MalaOptions o;
        o.initial_step_size = 2e-3;
        o.kernel = kernel;
        Mala mala(lj, o, {1.0, 1.0, 2.0, 2.0, 4.0, 4.0}, {0, 0, 1, 1, 2, 2});
        at::Generator init = make_generator(17);
        ChainState s = mala.init(lj.initial_configurations(6, init).to(dtype));
        at::Generator gen = make_generator(18);
        at::Tensor accepted = at::zeros({6}, at::kLong);
        for (int i = 0; i < 30; ++i) accepted += mala.step(s, gen, true).to(at::kLong);
        return std::make_pair(s, accepted);
    };
    for (auto dtype : {at::kDouble, at::kFloat}) {
        const auto [fused, acc_fused] = run(MalaKernel::Auto, dtype);
        const auto [generic, acc_generic] = run(MalaKernel::Generic, dtype);
        EXPECT_TRUE(at::equal(acc_fused, acc_generic)) << c10::toString(dtype);
        const double tol = dtype == at::kDouble ? 1e-10 : 1e-4;
        EXPECT_TRUE(at::allclose(fused.x, generic.x, tol, tol)) << c10::toString(dtype);
        EXPECT_TRUE(at::allclose(fused.energy, generic.energy, tol, tol));
        EXPECT_GT(acc_fused.sum().item<int64_t>(), 0);
    }
}

TEST(Mala, WarmupAdaptsStepSizeToTargetAcceptance) {
    IsotropicGaussian g(1, 10, 1.0);
    Mala mala(g, MalaOptions{1e-4, 0.574}, std::vector<double>(512, 1.0),
              std::vector<int64_t>(512, 0));
    at::Generator gen = make_generator(3);
    ChainState s = mala.init(at::randn({512, 1, 10}, gen, at::kDouble));
    for (int i = 0; i < 500; ++i) mala.step(s, gen, true);
    double acc = 0.0;
    for (int i = 0; i < 200; ++i)
        acc += mala.step(s, gen, false).to(at::kDouble).mean().item<double>();
    // 512 chains × 200 steps: the acceptance estimate is good to ~0.01; the adapted step size
    // is still settling, so allow 0.05.
    EXPECT_NEAR(acc / 200.0, 0.574, 0.05);
    EXPECT_GT(mala.step_sizes()[0], 1e-2);  // grew from 1e-4
}

TEST(Mala, KeepsTranslationInvariantChainsMeanFree) {
    LennardJones lj;
    Mala mala(lj, MalaOptions{}, std::vector<double>(16, 1.0), std::vector<int64_t>(16, 0));
    at::Generator gen = make_generator(4);
    ChainState s = mala.init(lj.initial_configurations(16, gen) + 3.0);
    for (int i = 0; i < 50; ++i) mala.step(s, gen, true);
    EXPECT_LT(s.x.mean(1).abs().max().item<double>(), 1e-10);
}

TEST(Mala, CappedDriftLetsAChainLeaveASteepWall) {
    // Two LJ particles at r = 0.7 (E ≈ +135, |F| ≈ 1e3) with the step size a T = 4 chain adapts to:
    // the uncapped drift jumps ~20 length units and is always rejected; the capped one escapes.
    LennardJonesParams p;
    p.n_particles = 2;
    LennardJones lj(p);
    auto accepted = [&](double clip) {
        MalaOptions o;
        o.initial_step_size = 0.04;
        o.drift_clip = clip;
        Mala mala(lj, o, std::vector<double>(64, 4.0), std::vector<int64_t>(64, 0));
        at::Tensor x0 = at::zeros({64, 2, 3}, at::kDouble);
        x0.select(1, 1).select(1, 0).fill_(0.7);
        ChainState s = mala.init(x0);
        at::Generator gen = make_generator(31);
        return mala.step(s, gen, false).sum().item<int64_t>();
    };
    EXPECT_EQ(accepted(0.0), 0);
    EXPECT_GT(accepted(3.0), 16);
}

TEST(ParallelTempering, RejectsBadLadderWithClearMessage) {
    LennardJones lj;
    ParallelTemperingOptions o;
    o.temperatures = {1.0, 2.0, 1.0};
    try {
        ParallelTempering pt(lj, MalaOptions{}, o);
        FAIL();
    } catch (const ConfigError& e) {
        EXPECT_THAT(e.what(), HasSubstr("repeated temperature"));
    }
    o.temperatures = {-1.0};
    EXPECT_THROW(ParallelTempering(lj, MalaOptions{}, o), ConfigError);
}

TEST(ParallelTempering, CountsEnergyEvaluations) {
    LennardJones lj;
    ParallelTemperingOptions o;
    o.temperatures = {1.0, 2.0};
    o.chains_per_temperature = 4;
    o.warmup_steps = 10;
    o.production_steps = 20;
    o.thin = 5;
    ParallelTempering pt(lj, MalaOptions{}, o);
    at::Generator gen = make_generator(8);
    const McmcResult r = pt.run(lj.initial_configurations(8, gen), gen);
    // One initial evaluation per chain, one proposal per chain per step.
    EXPECT_EQ(r.energy_evaluations, 8 * (1 + 10 + 20));
    ASSERT_EQ(r.per_temperature.size(), 2u);
    EXPECT_EQ(r.per_temperature[0].x.size(0), 4 * 4);
    EXPECT_EQ(r.swap_acceptance.size(), 1u);
}

TEST(ParallelTempering, KeptEnergiesBelongToKeptSamples) {
    // Guards against recording views of state that the fused kernel later updates in place.
    LennardJones lj;
    ParallelTemperingOptions o;
    o.temperatures = {1.0, 4.0};
    o.chains_per_temperature = 8;
    o.warmup_steps = 50;
    o.production_steps = 100;
    o.thin = 10;
    ParallelTempering pt(lj, MalaOptions{1e-3}, o);
    at::Generator gen = make_generator(81);
    const McmcResult r = pt.run(lj.initial_configurations(16, gen), gen);
    for (const TemperatureSamples& t : r.per_temperature) {
        EXPECT_TRUE(at::allclose(lj.energy(t.x), t.energy, 1e-10, 1e-8)) << "T=" << t.temperature;
        // Chains move: successive records of a chain differ.
        const at::Tensor e = t.energy.view({-1, 8});
        EXPECT_GT((e.slice(0, 1) - e.slice(0, 0, -1)).abs().max().item<double>(), 0.0);
    }
}

}  // namespace
}  // namespace pita
