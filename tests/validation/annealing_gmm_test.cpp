// The 40-mode mixture annealed on its exact noised model (issue 4; validation tier: ~5 min on
// 2 cores). 20 000 particles, γ = 2 and 4, both drifts; compared with p^γ by quadrature.
#include <cmath>
#include <cstdio>

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "pita/anneal/annealer.h"
#include "pita/core/rng.h"
#include "pita/energy/gaussian_mixture.h"
#include "support/annealing_helpers.h"

namespace pita {
namespace {

using testing::options_for;

// Mode occupancies, means and variances of p^γ for the 40-mode mixture by quadrature on a fine
// grid (spacing 0.05 = 0.04 component standard deviations; the density is negligible outside
// [−50, 50]² since the means lie in [−40, 40]² and the standard deviation is 1.31). Grid points
// are assigned to modes exactly as samples are (most responsible component of p).
struct ModeStatistics {
    at::Tensor mass, mean, variance;  // [K], [K, 2], [K] (per-coordinate, averaged)
};

ModeStatistics mode_statistics(const GaussianMixture& gmm, const at::Tensor& x,
                               const at::Tensor& weight) {
    const int64_t k = gmm.n_components();
    const at::Tensor mode = gmm.mode_assignment(x);
    const at::Tensor w = weight / weight.sum();
    ModeStatistics s;
    s.mass = at::zeros({k}, at::kDouble).index_add_(0, mode, w);
    const at::Tensor safe = s.mass.clamp_min(1e-300).unsqueeze(1);
    s.mean = at::zeros({k, 2}, at::kDouble).index_add_(0, mode, w.unsqueeze(1) * x) / safe;
    const at::Tensor centred = x - s.mean.index_select(0, mode);
    s.variance = at::zeros({k, 2}, at::kDouble)
                     .index_add_(0, mode, w.unsqueeze(1) * centred.pow(2))
                     .div(safe)
                     .mean(1);
    return s;
}

ModeStatistics tempered_by_quadrature(const GaussianMixture& gmm, double gamma) {
    const at::Tensor axis = at::arange(-50.0, 50.0, 0.05, at::kDouble);
    const auto mesh = at::meshgrid({axis, axis}, "ij");
    const at::Tensor x = at::stack({mesh[0].reshape(-1), mesh[1].reshape(-1)}, 1);
    const at::Tensor log_p = gmm.log_prob(x, at::scalar_tensor(0.0, at::kDouble));
    return mode_statistics(gmm, x, (gamma * (log_p - log_p.max())).exp());
}

struct GmmRun {
    double tv, max_mean_error, max_variance_error, min_unique_fraction;
};

GmmRun anneal_gmm(const GaussianMixture& gmm, const ModeStatistics& exact, double gamma, int64_t n,
                  int64_t steps, double score_weight, double clamp_quantile) {
    const NoiseSchedule schedule = NoiseSchedule::elucidating(0.01);
    ExactAnnealingModel model(gmm, schedule, 1, 2);
    at::Generator gen = make_generator(17);
    AnnealOptions o = options_for(2, gamma, n, steps);
    o.score_weight = score_weight;
    o.clamp_quantile = clamp_quantile;
    o.chunk = 4096;  // the clamp is per chunk, as the reference's inference batches
    const AnnealResult r = anneal(model, schedule, o, at::TensorOptions(at::kDouble), gen);
    const ModeStatistics got = mode_statistics(gmm, r.x.view({n, 2}), at::ones({n}, at::kDouble));
    GmmRun out{};
    out.tv = 0.5 * (got.mass - exact.mass).abs().sum().item<double>();
    // Means and variances only where a mode holds at least 1 % (≥ 200 samples at N = 20 000).
    const at::Tensor big = exact.mass > 0.01;
    out.max_mean_error = (got.mean - exact.mean).norm(2, 1).masked_select(big).max().item<double>();
    out.max_variance_error =
        ((got.variance / exact.variance) - 1).abs().masked_select(big).max().item<double>();
    int64_t min_unique = n;
    for (const auto& s : r.stats) min_unique = std::min(min_unique, s.unique_ancestors);
    out.min_unique_fraction = static_cast<double>(min_unique) / n;
    return out;
}

// Tolerances (N = 20 000, 500 steps): occupancy TV < 0.05; the multinomial noise floor alone is
// E[TV] ≈ Σ_k sqrt(m_k/(2πN)) ≈ 0.02 here, and resampling correlations roughly double it.
// Per-mode means within 0.3 (0.23 component standard deviations) and variances within 25 %
// for modes holding ≥ 1 % of the mass (≥ 200 samples, whose variance has a 10 % standard error).
// Asserted for the balanced drift (λ = 1), pita's default. Measured (seed 17):
//   γ = 2  balanced:  TV 0.026, mean error 0.148, variance error 0.103
//          reference: TV 0.067, mean error 0.282, variance error 0.236  (fails the TV bound)
//   γ = 4  balanced:  TV 0.033, mean error 0.176, variance error 0.157
//          reference: TV 0.239, a mode of > 1 % mass left empty (mean error 51.9)
// The reference drift (λ = γ) leaves the proposal far narrower than the tempered target, so the
// weights degenerate; see pita/anneal/annealer.h.
TEST(AnnealingOracle, Gmm40OccupanciesMeansAndVariancesMatchTheTemperedMixture) {
    const auto gmm = GaussianMixture::pita_gmm40();
    for (double gamma : {2.0, 4.0}) {
        const ModeStatistics exact = tempered_by_quadrature(*gmm, gamma);
        const GmmRun r = anneal_gmm(*gmm, exact, gamma, 20000, 500, 1.0, 0.0);
        const std::string tag = "gamma" + std::to_string(static_cast<int>(gamma));
        RecordProperty("tv_" + tag, std::to_string(r.tv));
        RecordProperty("mean_error_" + tag, std::to_string(r.max_mean_error));
        RecordProperty("variance_error_" + tag, std::to_string(r.max_variance_error));
        std::printf(
            "γ=%g balanced: TV %.4f, max mean error %.3f, max variance error %.3f, "
            "min unique %.3f\n",
            gamma, r.tv, r.max_mean_error, r.max_variance_error, r.min_unique_fraction);
        EXPECT_LT(r.tv, 0.05) << tag << " (stochastic)";
        EXPECT_LT(r.max_mean_error, 0.3) << tag;
        EXPECT_LT(r.max_variance_error, 0.25) << tag;
    }
}

// How the error falls with steps and particles, for both drifts, and what the reference's
// quantile clamp costs. A measurement printed for the docs, not an assertion (run with
// --gtest_also_run_disabled_tests --gtest_filter='*Versus*').
TEST(AnnealingOracle, DISABLED_Gmm40ErrorVersusStepsParticlesAndClamping) {
    const auto gmm = GaussianMixture::pita_gmm40();
    const ModeStatistics exact = tempered_by_quadrature(*gmm, 2.0);
    for (double score_weight : {1.0, -1.0})  // balanced, then the reference's λ = γ
        for (int64_t n : {2000, 20000})
            for (int64_t steps : {100, 300, 1000})
                for (double clamp : {0.0, 0.9}) {
                    const GmmRun r = anneal_gmm(*gmm, exact, 2.0, n, steps, score_weight, clamp);
                    std::printf(
                        "%s N=%lld steps=%lld clamp=%.1f: TV %.4f mean err %.3f var err %.3f\n",
                        score_weight > 0 ? "balanced" : "reference", static_cast<long long>(n),
                        static_cast<long long>(steps), clamp, r.tv, r.max_mean_error,
                        r.max_variance_error);
                    std::fflush(stdout);
                }
}

}  // namespace
}  // namespace pita
