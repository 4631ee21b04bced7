#include "pita/schedule/noise_schedule.h"

#include <cmath>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "pita/config/config.h"
#include "pita/core/error.h"
#include "pita/core/rng.h"
#include "support/test_helpers.h"

namespace pita {
namespace {

using ::testing::HasSubstr;

using testing::error_message;
using testing::kF64;

/// The schedules every property test runs on: both PITA σ_min values, and the geometric form.
std::vector<NoiseSchedule> all_schedules() {
    return {NoiseSchedule::elucidating(0.05), NoiseSchedule::elucidating(0.01),
            NoiseSchedule::elucidating(0.002, 80.0, 3.0), NoiseSchedule::geometric(0.05),
            NoiseSchedule::geometric(0.01)};
}

std::string describe(const NoiseSchedule& s) { return s.config().dump(); }

/// 0, 0.01, ..., 1.
std::vector<double> t_grid() {
    std::vector<double> ts;
    for (int i = 0; i <= 100; ++i) ts.push_back(i / 100.0);
    return ts;
}

std::string schedule_finish_message(const Config& cfg) {
    try {
        cfg.finish();
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "(no ConfigError thrown)";
}

TEST(NoiseSchedule, EndpointsAreSigmaMinAndSigmaMaxSquared) {
    for (const NoiseSchedule& s : all_schedules()) {
        const double h0 = s.sigma_min() * s.sigma_min();
        const double h1 = s.sigma_max() * s.sigma_max();
        EXPECT_NEAR(s.h(0.0), h0, 1e-12 * h0) << describe(s);
        EXPECT_NEAR(s.h(1.0), h1, 1e-12 * h1) << describe(s);
        EXPECT_NEAR(s.sigma(0.0), s.sigma_min(), 1e-12 * s.sigma_min()) << describe(s);
        EXPECT_NEAR(s.sigma(1.0), s.sigma_max(), 1e-12 * s.sigma_max()) << describe(s);
    }
}

TEST(NoiseSchedule, TOfHInvertsH) {
    for (const NoiseSchedule& s : all_schedules()) {
        for (double t : t_grid())
            EXPECT_NEAR(s.t_of_h(s.h(t)), t, 1e-12) << describe(s) << " t=" << t;
        EXPECT_NEAR(s.h(s.t_of_h(1.0)), 1.0, 1e-12) << describe(s);
    }
}

TEST(NoiseSchedule, DhDtEqualsG2AndMatchesCentralFiniteDifferences) {
    // Central differences with step 1e-5: truncation error ~ h'''·eps²/6, relative ~1e-8 here
    // (h is a degree-14 polynomial or an exponential in t), rounding ~1e-16·h/eps ≈ 1e-11·h.
    const double eps = 1e-5;
    for (const NoiseSchedule& s : all_schedules()) {
        for (double t : t_grid()) {
            const double fd = (s.h(t + eps) - s.h(t - eps)) / (2 * eps);
            const double g2 = s.g2(t);
            EXPECT_NEAR(g2, fd, 1e-6 * g2) << describe(s) << " t=" << t;
            EXPECT_DOUBLE_EQ(g2, s.dh_dt(t)) << describe(s) << " t=" << t;
            EXPECT_NEAR(s.g(t) * s.g(t), g2, 1e-13 * g2) << describe(s) << " t=" << t;
        }
    }
}

TEST(NoiseSchedule, HIsStrictlyIncreasingAndGPositive) {
    for (const NoiseSchedule& s : all_schedules()) {
        double previous = s.h(0.0);
        for (double t : t_grid()) {
            EXPECT_GT(s.g(t), 0.0) << describe(s) << " t=" << t;
            if (t == 0.0) continue;
            EXPECT_GT(s.h(t), previous) << describe(s) << " t=" << t;
            previous = s.h(t);
        }
    }
}

TEST(NoiseSchedule, ElucidatingMatchesSpecTableToPrintedDigits) {
    // Spec §2 table (σ_max = 80, ρ = 7); each tolerance is half a unit in the last printed digit.
    struct Row {
        double sigma_min, sigma_at_01, sigma_at_02, t_at_sigma_1, g2_at_0, g2_at_1;
        double tol_g2_at_0;
    };
    for (const Row& r : {Row{0.05, 0.1659, 0.4618, 0.2858, 0.06542, 58369.7, 0.5e-5},
                         Row{0.01, 0.0507, 0.1893, 0.3565, 0.003655, 64784.5, 0.5e-6}}) {
        const NoiseSchedule s = NoiseSchedule::elucidating(r.sigma_min);
        SCOPED_TRACE(describe(s));
        EXPECT_NEAR(s.sigma(0.1), r.sigma_at_01, 0.5e-4);
        EXPECT_NEAR(s.sigma(0.2), r.sigma_at_02, 0.5e-4);
        EXPECT_NEAR(s.t_of_h(1.0), r.t_at_sigma_1, 0.5e-4);
        EXPECT_NEAR(s.g2(0.0), r.g2_at_0, r.tol_g2_at_0);
        EXPECT_NEAR(s.g2(1.0), r.g2_at_1, 0.05);
    }
}

TEST(NoiseSchedule, ElucidatingUniformStepsReproduceKarrasSigmas) {
    // EDM eq. 5: σ_i = (σ_max^{1/ρ} + i/(N−1)·(σ_min^{1/ρ} − σ_max^{1/ρ}))^ρ, with t = 1 − i/(N−1).
    const NoiseSchedule s = NoiseSchedule::elucidating(0.002);
    const int n = 18;
    for (int i = 0; i < n; ++i) {
        const double frac = static_cast<double>(i) / (n - 1);
        const double karras = std::pow(
            std::pow(80.0, 1 / 7.0) + frac * (std::pow(0.002, 1 / 7.0) - std::pow(80.0, 1 / 7.0)),
            7.0);
        EXPECT_NEAR(s.sigma(1.0 - frac), karras, 1e-12 * karras) << "i=" << i;
    }
}

TEST(NoiseSchedule, GeometricIsLogLinearAndDiffersFromReferenceByConstantShift) {
    const NoiseSchedule s = NoiseSchedule::geometric(0.05, 80.0);
    const double d = 80.0 / 0.05;
    for (double t : t_grid()) {
        EXPECT_NEAR(std::log(s.sigma(t)), std::log(0.05) + t * std::log(d), 1e-12) << "t=" << t;
        // Reference: g = σ_min d^t sqrt(2 ln d) and h_ref = σ_min²(d^{2t} − 1) = h − σ_min².
        const double g_ref = 0.05 * std::pow(d, t) * std::sqrt(2 * std::log(d));
        EXPECT_NEAR(s.g(t), g_ref, 1e-12 * g_ref) << "t=" << t;
        const double h_ref = 0.05 * 0.05 * (std::pow(d, 2 * t) - 1);
        EXPECT_NEAR(s.h(t) - 0.05 * 0.05, h_ref, 1e-12 * s.h(t)) << "t=" << t;
    }
}

TEST(NoiseSchedule, TensorVersionsEqualScalarVersions) {
    const at::Tensor t = at::linspace(0.0, 1.0, 41, kF64).view({41, 1});
    for (const NoiseSchedule& s : all_schedules()) {
        const at::Tensor h = s.h(t);
        const at::Tensor sigma = s.sigma(t);
        const at::Tensor dh = s.dh_dt(t);
        const at::Tensor g2 = s.g2(t);
        const at::Tensor g = s.g(t);
        const at::Tensor back = s.t_of_h(h);
        for (const at::Tensor& out : {h, sigma, dh, g2, g, back}) {
            EXPECT_EQ(out.sizes(), t.sizes());
            EXPECT_EQ(out.scalar_type(), at::kDouble);
        }
        for (int64_t i = 0; i < t.size(0); ++i) {
            const double ti = t[i][0].item<double>();
            const double hi = s.h(ti);
            EXPECT_NEAR(h[i][0].item<double>(), hi, 1e-14 * hi) << describe(s) << " t=" << ti;
            EXPECT_NEAR(sigma[i][0].item<double>(), s.sigma(ti), 1e-14 * s.sigma(ti));
            EXPECT_NEAR(dh[i][0].item<double>(), s.dh_dt(ti), 1e-14 * s.dh_dt(ti));
            EXPECT_NEAR(g2[i][0].item<double>(), s.g2(ti), 1e-14 * s.g2(ti));
            EXPECT_NEAR(g[i][0].item<double>(), s.g(ti), 1e-14 * s.g(ti));
            EXPECT_NEAR(back[i][0].item<double>(), s.t_of_h(hi), 1e-14);
        }
    }
}

TEST(NoiseSchedule, TensorVersionsKeepFloat32AndAreAccurateToFloat32Rounding) {
    const NoiseSchedule s = NoiseSchedule::elucidating(0.05);
    const at::Tensor t32 = at::linspace(0.0, 1.0, 11, at::kFloat);
    const at::Tensor h32 = s.h(t32);
    EXPECT_EQ(h32.scalar_type(), at::kFloat);
    EXPECT_EQ(s.t_of_h(h32).scalar_type(), at::kFloat);
    EXPECT_EQ(s.g(t32).scalar_type(), at::kFloat);
    // Computed in float64 and rounded once: relative error at most float32's half-ulp, 2^-24.
    const at::Tensor h64 = s.h(t32.to(at::kDouble));
    EXPECT_LE(((h32.to(at::kDouble) - h64).abs() / h64).max().item<double>(), std::ldexp(1.0, -24));
}

TEST(NoiseSchedule, TensorVersionsRejectIntegerTensors) {
    const NoiseSchedule s = NoiseSchedule::elucidating(0.05);
    EXPECT_THAT(error_message([&] { s.h(at::zeros({3}, at::kLong)); }),
                HasSubstr("[noise_schedule] t: got a tensor of dtype Long; expected a "
                          "floating-point dtype"));
    EXPECT_THAT(error_message([&] { s.t_of_h(at::ones({3}, at::kInt)); }),
                HasSubstr("[noise_schedule] h: got a tensor of dtype Int"));
}

TEST(NoiseSchedule, ElucidatingTrainingLogSigmaIsNormalAndNotClamped) {
    // Stochastic, fixed seed. ln σ ~ N(−1.2, 1.2²): the sample mean's standard error is
    // 1.2/sqrt(n) and the sample sd's about 1.2/sqrt(2n); both are allowed 6·1.2/sqrt(n).
    const NoiseSchedule s = NoiseSchedule::elucidating(0.05);
    const int64_t n = 200000;
    at::Generator gen = make_generator(1234);
    const at::Tensor h = s.sample_training_h(n, gen, kF64);
    ASSERT_EQ(h.sizes(), at::IntArrayRef({n}));
    ASSERT_EQ(h.scalar_type(), at::kDouble);
    const at::Tensor log_sigma = 0.5 * h.log();
    const double tol = 6 * 1.2 / std::sqrt(static_cast<double>(n));
    EXPECT_NEAR(log_sigma.mean().item<double>(), -1.2, tol) << "(stochastic, seed 1234)";
    EXPECT_NEAR(log_sigma.std().item<double>(), 1.2, tol) << "(stochastic, seed 1234)";
    // P(ln σ < ln 0.05) = Φ(−1.5) ≈ 6.7% and P(σ > 80) ≈ 2e-5·n: some fall below σ_min.
    EXPECT_GT((log_sigma < std::log(0.05)).sum().item<int64_t>(), 0) << "(stochastic, seed 1234)";
}

TEST(NoiseSchedule, GeometricTrainingLogSigmaIsUniformOnLogRange) {
    // Stochastic, fixed seed. ln σ ~ U[lo, hi], L = hi − lo: sd L/sqrt(12); the mean's standard
    // error is L/sqrt(12n), the sd's about 0.13·L/sqrt(n); both are allowed 6·(L/sqrt(12))/sqrt(n).
    const NoiseSchedule s = NoiseSchedule::geometric(0.01, 80.0);
    const int64_t n = 200000;
    at::Generator gen = make_generator(99);
    const at::Tensor log_sigma = 0.5 * s.sample_training_h(n, gen, kF64).log();
    const double lo = std::log(0.01);
    const double hi = std::log(80.0);
    const double sd = (hi - lo) / std::sqrt(12.0);
    const double tol = 6 * sd / std::sqrt(static_cast<double>(n));
    EXPECT_NEAR(log_sigma.mean().item<double>(), 0.5 * (lo + hi), tol) << "(stochastic, seed 99)";
    EXPECT_NEAR(log_sigma.std().item<double>(), sd, tol) << "(stochastic, seed 99)";
    EXPECT_GE(log_sigma.min().item<double>(), lo - 1e-12);
    EXPECT_LE(log_sigma.max().item<double>(), hi + 1e-12);
    // Under h(t) = σ_min² d^{2t} this is uniform in t.
    const at::Tensor t = s.t_of_h(log_sigma.mul(2).exp());
    EXPECT_NEAR(t.mean().item<double>(), 0.5, 6 / std::sqrt(12.0 * n)) << "(stochastic, seed 99)";
}

TEST(NoiseSchedule, TrainingSamplesAreReproducibleAndTakeRequestedDtype) {
    const NoiseSchedule s = NoiseSchedule::elucidating(0.05);
    at::Generator a = make_generator(7);
    at::Generator b = make_generator(7);
    at::Generator c = make_generator(8);
    const at::Tensor ha = s.sample_training_h(64, a, kF64);
    EXPECT_TRUE(at::equal(ha, s.sample_training_h(64, b, kF64)));
    EXPECT_FALSE(at::equal(ha, s.sample_training_h(64, c, kF64)));
    at::Generator d = make_generator(7);
    const at::Tensor h32 = s.sample_training_h(64, d, at::TensorOptions().dtype(at::kFloat));
    EXPECT_EQ(h32.scalar_type(), at::kFloat);
    EXPECT_TRUE(at::allclose(h32.to(at::kDouble), ha, 1e-6, 0.0));
    EXPECT_EQ(s.sample_training_h(0, d, kF64).numel(), 0);
}

TEST(NoiseSchedule, TrainingSamplerRejectsBadArguments) {
    const NoiseSchedule s = NoiseSchedule::elucidating(0.05);
    at::Generator gen = make_generator(1);
    EXPECT_THAT(error_message([&] { s.sample_training_h(-1, gen, kF64); }),
                HasSubstr("[noise_schedule] sample_training_h: got n = -1; expected n >= 0."));
    EXPECT_THAT(
        error_message([&] { s.sample_training_h(4, gen, at::TensorOptions().dtype(at::kLong)); }),
        HasSubstr("got dtype Long; expected a floating-point dtype"));
}

TEST(NoiseSchedule, ConstructorsRejectBadParameters) {
    EXPECT_THAT(error_message([] { NoiseSchedule::elucidating(0.0); }),
                HasSubstr("[noise_schedule] sigma_min: got 0; expected a finite number > 0."));
    EXPECT_THAT(error_message([] { NoiseSchedule::geometric(-1.0); }),
                HasSubstr("[noise_schedule] sigma_min: got -1"));
    EXPECT_THAT(error_message([] { NoiseSchedule::elucidating(0.05, 0.01); }),
                HasSubstr("[noise_schedule] sigma_max: got 0.01; expected a finite number > "
                          "sigma_min = 0.05."));
    EXPECT_THAT(error_message([] { NoiseSchedule::geometric(0.05, INFINITY); }),
                HasSubstr("sigma_max: got inf"));
    EXPECT_THAT(error_message([] { NoiseSchedule::elucidating(0.05, 80.0, 0.0); }),
                HasSubstr("[noise_schedule] rho: got 0; expected a finite number > 0"));
    EXPECT_THAT(error_message([] { NoiseSchedule::elucidating(0.05, 80.0, 7.0, NAN); }),
                HasSubstr("[noise_schedule] p_mean: got nan; expected finite."));
    EXPECT_THAT(error_message([] { NoiseSchedule::elucidating(0.05, 80.0, 7.0, -1.2, -0.5); }),
                HasSubstr("[noise_schedule] p_std: got -0.5; expected a finite number > 0."));
}

TEST(NoiseSchedule, FactoryReadsEveryKeyAndReportsResolvedConfig) {
    const Config cfg = Config::from_string(
        "schedule: {type: elucidating, sigma_min: 0.05, sigma_max: 60, rho: 5, p_mean: -1.0, "
        "p_std: 1.5}");
    const NoiseSchedule s = make_noise_schedule(cfg.root().child("schedule"));
    EXPECT_NO_THROW(cfg.finish());
    EXPECT_EQ(s.kind(), NoiseScheduleKind::Elucidating);
    const nlohmann::json expected = {{"type", "elucidating"}, {"sigma_min", 0.05},
                                     {"sigma_max", 60.0},     {"rho", 5.0},
                                     {"p_mean", -1.0},        {"p_std", 1.5}};
    EXPECT_EQ(s.config(), expected);
    EXPECT_EQ(cfg.resolved()["schedule"]["sigma_max"], 60.0);
}

TEST(NoiseSchedule, FactoryDefaultsToElucidatingWithReferenceConstants) {
    const Config cfg = Config::from_string("schedule: {sigma_min: 0.01}");
    const NoiseSchedule s = make_noise_schedule(cfg.root().child("schedule"));
    EXPECT_NO_THROW(cfg.finish());
    EXPECT_EQ(s.kind(), NoiseScheduleKind::Elucidating);
    EXPECT_EQ(s.sigma_max(), 80.0);
    EXPECT_EQ(s.rho(), 7.0);
    EXPECT_EQ(s.p_mean(), -1.2);
    EXPECT_EQ(s.p_std(), 1.2);
    EXPECT_DOUBLE_EQ(s.g2(1.0), NoiseSchedule::elucidating(0.01).g2(1.0));
}

TEST(NoiseSchedule, FactoryBuildsGeometricAndRejectsElucidatingOnlyKeys) {
    {
        const Config cfg = Config::from_string("schedule: {type: geometric, sigma_min: 0.05}");
        const NoiseSchedule s = make_noise_schedule(cfg.root().child("schedule"));
        EXPECT_NO_THROW(cfg.finish());
        EXPECT_EQ(s.kind(), NoiseScheduleKind::Geometric);
        const nlohmann::json expected = {
            {"type", "geometric"}, {"sigma_min", 0.05}, {"sigma_max", 80.0}};
        EXPECT_EQ(s.config(), expected);
    }
    const Config cfg = Config::from_string("schedule: {type: geometric, sigma_min: 0.05, rho: 7}");
    make_noise_schedule(cfg.root().child("schedule"));
    EXPECT_THAT(schedule_finish_message(cfg), HasSubstr("schedule.rho: unknown key"));
}

TEST(NoiseSchedule, FactoryReportsEveryBadValueAtOnce) {
    const Config cfg = Config::from_string(
        "schedule: {type: elucidating, sigma_min: -0.1, sigma_max: 0, rho: -7, p_std: 0}");
    EXPECT_NO_THROW(make_noise_schedule(cfg.root().child("schedule")));
    const std::string msg = schedule_finish_message(cfg);
    EXPECT_THAT(msg, HasSubstr("4 problems"));
    EXPECT_THAT(
        msg,
        HasSubstr("schedule.sigma_min: out of range: got -0.1; expected a finite number > 0."));
    EXPECT_THAT(
        msg, HasSubstr("schedule.sigma_max: out of range: got 0; expected a finite number > 0."));
    EXPECT_THAT(msg, HasSubstr("schedule.rho: out of range: got -7; expected a finite number > 0"));
    EXPECT_THAT(msg,
                HasSubstr("schedule.p_std: out of range: got 0; expected a finite number > 0."));
}

TEST(NoiseSchedule, FactoryRequiresSigmaMinAboveItAndBelowSigmaMax) {
    {
        const Config cfg = Config::from_string("schedule: {type: elucidating}");
        make_noise_schedule(cfg.root().child("schedule"));
        EXPECT_THAT(schedule_finish_message(cfg),
                    HasSubstr("schedule.sigma_min: missing: expected a finite number > 0. Every "
                              "experiment sets it"));
    }
    {
        const Config cfg = Config::from_string("schedule: {sigma_min: 0.5, sigma_max: 0.1}");
        make_noise_schedule(cfg.root().child("schedule"));
        EXPECT_THAT(schedule_finish_message(cfg),
                    HasSubstr("schedule.sigma_max: out of range: got 0.1; expected a number > "
                              "sigma_min = 0.5."));
    }
    {
        const Config cfg = Config::from_string("schedule: {type: geometrik, sigma_min: 0.05}");
        make_noise_schedule(cfg.root().child("schedule"));
        EXPECT_THAT(schedule_finish_message(cfg), HasSubstr("Did you mean 'geometric'?"));
    }
}

}  // namespace
}  // namespace pita
