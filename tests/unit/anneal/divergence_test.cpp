#include <cmath>
#include <memory>

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "pita/anneal/divergence.h"
#include "pita/core/rng.h"
#include "pita/model/egnn.h"

namespace pita {
namespace {

/// Full Jacobian trace, one coordinate at a time (the slow, obviously-right way).
at::Tensor trace_by_columns(const VectorField& f, const at::Tensor& x) {
    const int64_t dim = x.size(1) * x.size(2);
    at::Tensor trace = at::zeros({x.size(0)}, x.options());
    for (int64_t j = 0; j < dim; ++j) {
        at::Tensor xi = x.detach().clone().requires_grad_(true);
        const at::Tensor out = f(xi).reshape({x.size(0), dim}).select(1, j).sum();
        out.backward();
        trace += xi.grad().reshape({x.size(0), dim}).select(1, j);
    }
    return trace;
}

/// A small float64 EGNN on 5 particles (weights drawn after at::manual_seed(seed)) as a vector
/// field at c_noise 0.1, β 1. Use it with inputs of spread ~2, so that the tanh-bounded
/// coordinate updates are far from linear.
VectorField egnn_field(uint64_t seed) {
    at::manual_seed(seed);
    EgnnOptions o;
    o.n_particles = 5;
    o.hidden = 16;
    auto net = std::make_shared<Egnn>(o);
    net->to(c10::kCPU, at::kDouble);
    return [net](const at::Tensor& y) {
        const int64_t rows = y.size(0);
        return net->forward(at::full({rows}, 0.1, at::kDouble), y, at::ones({rows}, at::kDouble));
    };
}

/// f(x) = A x on [rows, 2, 3] with A [6, 6] drawn from gen, and the variance of one Rademacher
/// probe's estimate εᵀAε: 2·Σ_{i≠j} ((A_ij + A_ji)/2)².
struct LinearField {
    explicit LinearField(at::Generator& gen) : a(at::randn({6, 6}, gen, at::kDouble)) {
        const at::Tensor sym = (a + a.t()) / 2;
        variance = 2.0 * (sym.pow(2).sum() - sym.diagonal().pow(2).sum()).item<double>();
        const at::Tensor m = a;
        f = [m](const at::Tensor& y) {
            return at::matmul(y.reshape({y.size(0), 6}), m.t()).reshape(y.sizes());
        };
    }
    at::Tensor a;
    double variance;
    VectorField f;
};

TEST(Divergence, ExactEqualsTheJacobianTraceOfAnEgnn) {
    const VectorField f = egnn_field(4);
    at::Generator gen = make_generator(2);
    const at::Tensor x = at::randn({7, 5, 3}, gen, at::kDouble) * 2;
    const at::Tensor reference = trace_by_columns(f, x);
    for (int64_t max_rows : {15, 1 << 16}) {  // chunked (1 row per pass) and unchunked
        const ValueAndDivergence d = exact_divergence(f, x, max_rows);
        EXPECT_TRUE(at::allclose(d.divergence, reference, 1e-12, 1e-12)) << max_rows;
        EXPECT_TRUE(at::allclose(d.value, f(x).detach(), 1e-14, 1e-14));
    }
    EXPECT_GT(reference.abs().min().item<double>(), 1e-6);  // the test is not trivially zero
}

TEST(Divergence, SeparatePassesOnManyRowsEqualStackedPassesOnFew) {
    // 40 rows in one chunk take the separate passes (one forward, a VJP per copy); chunks of 2
    // rows (max_rows = 2 × 15 copies) take the stacked pass. Same exact divergence to round-off,
    // and both equal the column-by-column trace.
    const VectorField f = egnn_field(5);
    at::Generator gen = make_generator(3);
    const at::Tensor x = at::randn({40, 5, 3}, gen, at::kDouble) * 2;
    const ValueAndDivergence separate = exact_divergence(f, x);
    const ValueAndDivergence stacked = exact_divergence(f, x, 30);
    EXPECT_TRUE(at::allclose(separate.divergence, stacked.divergence, 1e-12, 1e-12));
    EXPECT_TRUE(at::allclose(separate.value, stacked.value, 1e-14, 1e-14));
    EXPECT_TRUE(at::allclose(separate.divergence, trace_by_columns(f, x), 1e-12, 1e-12));
    EXPECT_GT(separate.divergence.abs().min().item<double>(), 1e-6);
}

// Hutchinson on the separate passes: f(x) = A x on 64 rows, 300 probes each; the mean over the
// 64 · 300 probes lies within 5 standard errors of tr A.
TEST(Divergence, HutchinsonOnSeparatePassesIsUnbiased) {
    at::Generator gen = make_generator(9);
    const LinearField lin(gen);
    const double variance = lin.variance;
    const at::Tensor x = at::randn({64, 2, 3}, gen, at::kDouble);
    const ValueAndDivergence h = hutchinson_divergence(lin.f, x, 300, gen);
    ASSERT_EQ(h.divergence.size(0), 64);
    EXPECT_NEAR(h.divergence.mean().item<double>(), lin.a.trace().item<double>(),
                5.0 * std::sqrt(variance / (64 * 300)))
        << "(stochastic)";
    // Each row's estimate has variance / 300: the rows' spread matches within 50 %.
    EXPECT_NEAR(h.divergence.var().item<double>(), variance / 300, 0.5 * variance / 300)
        << "(stochastic)";
}

// Hutchinson with Rademacher probes on f(x) = A x: the estimate εᵀAε has mean tr A and variance
// 2·Σ_{i≠j} ((A_ij + A_ji)/2)². The mean of K = 20 000 probes lies within 5 standard errors.
TEST(Divergence, HutchinsonIsUnbiasedWithTheKnownVariance) {
    at::Generator gen = make_generator(8);
    const LinearField lin(gen);
    const VectorField& f = lin.f;
    const double variance = lin.variance;
    const at::Tensor x = at::randn({1, 2, 3}, gen, at::kDouble);
    constexpr int64_t kProbes = 20000;
    const ValueAndDivergence h = hutchinson_divergence(f, x, kProbes, gen);
    EXPECT_NEAR(h.divergence.item<double>(), lin.a.trace().item<double>(),
                5.0 * std::sqrt(variance / kProbes))
        << "(stochastic)";
    // The per-probe variance matches the formula: 200 single-probe estimates, 5-sigma band on
    // the sample variance (its relative sd is sqrt(2/199) for a Gaussian-like estimator; the
    // band is widened to 50 % since εᵀAε is not Gaussian).
    const at::Tensor single = at::empty({200}, at::kDouble);
    for (int i = 0; i < 200; ++i)
        single[i] = hutchinson_divergence(f, x, 1, gen).divergence.item<double>();
    EXPECT_NEAR(single.var().item<double>(), variance, 0.5 * variance) << "(stochastic)";
}

}  // namespace
}  // namespace pita
