#include "pita/model/rotary_attention.h"

#include <cmath>
#include <vector>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <c10/core/InferenceMode.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <torch/csrc/autograd/autograd.h>

#include "pita/core/error.h"
#include "pita/core/rng.h"
#include "pita/model/rotary.h"
#include "support/test_helpers.h"

namespace pita::detail {
namespace {

using testing::max_abs;

struct Case {
    int64_t batch, n, heads, hd;
};

// One token, an odd count, the ALDP DiT's 22 tokens × 4 heads of 16, and AL3's 43 tokens.
const std::vector<Case> kCases = {{3, 1, 2, 4}, {2, 7, 3, 2}, {5, 22, 4, 16}, {2, 43, 6, 32}};

struct Inputs {
    at::Tensor qkv, cos, sin;
    double scale;
};

Inputs inputs(const Case& c, uint64_t seed, c10::ScalarType dtype = at::kDouble) {
    at::Generator gen = make_generator(seed);
    const RotaryTables rope = rotary_tables(c.n, c.hd, dtype, c10::Device(c10::kCPU));
    // Spread 2: the logits span several units, so the softmax is far from uniform.
    return {2.0 * at::randn({c.batch, c.n, 3, c.heads, c.hd}, gen, at::kDouble).to(dtype), rope.cos,
            rope.sin_signed, 1.0 / std::sqrt(static_cast<double>(c.hd))};
}

at::Tensor kernel(const Inputs& in, const at::Tensor& qkv) {
    return rotary_self_attention(qkv, in.cos, in.sin, in.scale);
}
at::Tensor composite(const Inputs& in, const at::Tensor& qkv) {
    return rotary_self_attention_composite(qkv, in.cos, in.sin, in.scale);
}

TEST(RotaryAttention, KernelMatchesTheCompositeInFloat64AndFloat32) {
    for (const Case& c : kCases) {
        const Inputs in = inputs(c, 1);
        const at::Tensor out = kernel(in, in.qkv);
        const at::Tensor expected = composite(in, in.qkv);
        ASSERT_EQ(out.sizes(), (std::vector<int64_t>{c.batch, c.n, c.heads, c.hd}));
        EXPECT_TRUE(out.is_contiguous());
        ASSERT_GT(max_abs(expected), 0.5);
        // Same sums in another order: float64 round-off.
        EXPECT_LT(max_abs(out - expected), 1e-13) << "n=" << c.n;

        const Inputs in32 = inputs(c, 1, at::kFloat);
        const at::Tensor out32 = kernel(in32, in32.qkv);
        EXPECT_EQ(out32.scalar_type(), at::kFloat);
        // float32: within a small multiple of the composite's own float32 round-off (which
        // grows with the logits' range, up to ~1e-5 here).
        const double ours = max_abs(out32.to(at::kDouble) - expected);
        const double aten = max_abs(composite(in32, in32.qkv).to(at::kDouble) - expected);
        EXPECT_LT(ours, 4.0 * aten + 1e-6) << "n=" << c.n << ", composite's error " << aten;
    }
}

TEST(RotaryAttention, CheckedAgainstAPlainLoopOverOneHead) {
    // Independent of both implementations: token i of head h attends with
    // softmax_j(⟨R_i q_i, R_j k_j⟩ · scale) where R_p rotates pair (2m, 2m+1) by p·10000^(−2m/hd).
    const Case c{1, 5, 2, 4};
    const Inputs in = inputs(c, 2);
    const at::Tensor out = kernel(in, in.qkv);
    const auto qkv = in.qkv.accessor<double, 5>();
    for (int64_t h = 0; h < c.heads; ++h) {
        auto rotated = [&](int64_t part, int64_t p) {
            std::vector<double> r(c.hd);
            for (int64_t m = 0; m < c.hd / 2; ++m) {
                const double angle = p * std::pow(10000.0, -2.0 * m / c.hd);
                const double x0 = qkv[0][p][part][h][2 * m];
                const double x1 = qkv[0][p][part][h][2 * m + 1];
                r[2 * m] = x0 * std::cos(angle) - x1 * std::sin(angle);
                r[2 * m + 1] = x1 * std::cos(angle) + x0 * std::sin(angle);
            }
            return r;
        };
        for (int64_t i = 0; i < c.n; ++i) {
            std::vector<double> logits(c.n);
            double top = -1e300;
            for (int64_t j = 0; j < c.n; ++j) {
                const auto q = rotated(0, i);
                const auto k = rotated(1, j);
                double dot = 0;
                for (int64_t m = 0; m < c.hd; ++m) dot += q[m] * k[m];
                logits[j] = dot * in.scale;
                top = std::max(top, logits[j]);
            }
            double total = 0;
            for (double& l : logits) total += (l = std::exp(l - top));
            for (int64_t m = 0; m < c.hd; ++m) {
                double expected = 0;
                for (int64_t j = 0; j < c.n; ++j)
                    expected += logits[j] / total * qkv[0][j][2][h][m];
                EXPECT_NEAR(out[0][i][h][m].item<double>(), expected, 1e-13);
            }
        }
    }
}

TEST(RotaryAttention, GradientMatchesTheComposite) {
    for (const Case& c : kCases) {
        const Inputs in = inputs(c, 3);
        at::Generator gen = make_generator(4);
        const at::Tensor weight = at::randn({c.batch, c.n, c.heads, c.hd}, gen, at::kDouble);
        auto grad_of = [&](auto&& f) {
            const at::Tensor qkv = in.qkv.clone().requires_grad_(true);
            return torch::autograd::grad({(f(in, qkv) * weight).sum()}, {qkv})[0];
        };
        const at::Tensor g = grad_of(kernel);
        const at::Tensor expected = grad_of(composite);
        ASSERT_GT(max_abs(expected), 0.1);
        EXPECT_LT(max_abs(g - expected), 1e-12) << "n=" << c.n;
    }
}

TEST(RotaryAttention, SecondOrderGradientMatchesTheComposite) {
    // The energy network differentiates its gradient: ∂/∂qkv of ⟨∂L/∂qkv, u⟩ under create_graph.
    const Case c{2, 6, 2, 4};
    const Inputs in = inputs(c, 5);
    at::Generator gen = make_generator(6);
    const at::Tensor weight = at::randn({c.batch, c.n, c.heads, c.hd}, gen, at::kDouble);
    const at::Tensor u = at::randn(in.qkv.sizes(), gen, at::kDouble);
    auto hessian_vector = [&](auto&& f) {
        const at::Tensor qkv = in.qkv.clone().requires_grad_(true);
        const at::Tensor g =
            torch::autograd::grad({(f(in, qkv) * weight).sum()}, {qkv}, {}, true, true)[0];
        return torch::autograd::grad({(g * u).sum()}, {qkv})[0];
    };
    const at::Tensor hv = hessian_vector(kernel);
    const at::Tensor expected = hessian_vector(composite);
    ASSERT_GT(max_abs(expected), 0.1);
    EXPECT_LT(max_abs(hv - expected), 1e-12);
}

TEST(RotaryAttention, AcceptsStridedInputAndRunsInInferenceMode) {
    const Case c{3, 9, 2, 8};
    const Inputs in = inputs(c, 7);
    const at::Tensor expected = composite(in, in.qkv);
    // The same values behind other strides.
    const at::Tensor strided = in.qkv.transpose(0, 1).contiguous().transpose(0, 1);
    ASSERT_FALSE(strided.is_contiguous());
    EXPECT_LT(max_abs(kernel(in, strided) - expected), 1e-13);
    c10::InferenceMode inference;
    EXPECT_LT(max_abs(kernel(in, in.qkv) - expected), 1e-13);
}

TEST(RotaryAttention, ResultsAreBitwiseTheSameOnOneAndTwoThreads) {
    const Case c{16, 22, 4, 16};
    const Inputs in = inputs(c, 8, at::kFloat);
    const int saved = at::get_num_threads();
    auto run = [&](int threads) {
        at::set_num_threads(threads);
        const at::Tensor qkv = in.qkv.clone().requires_grad_(true);
        const at::Tensor out = kernel(in, qkv);
        const at::Tensor g = torch::autograd::grad({(out * out).sum()}, {qkv})[0];
        return std::make_pair(out.detach(), g);
    };
    const auto one = run(1);
    const auto two = run(2);
    at::set_num_threads(saved);
    EXPECT_TRUE(at::equal(one.first, two.first));
    EXPECT_TRUE(at::equal(one.second, two.second));
}

TEST(RotaryAttention, RejectsBadShapesNamingTheExpectedOne) {
    const Inputs in = inputs({2, 5, 2, 4}, 9);
    using ::testing::HasSubstr;
    EXPECT_THAT(testing::error_message([&] { kernel(in, in.qkv.select(2, 0)); }),
                HasSubstr("expected [batch, n, 3, heads, head_dim]"));
    EXPECT_THAT(testing::error_message(
                    [&] { rotary_self_attention(in.qkv, in.cos.narrow(0, 0, 4), in.sin, 0.5); }),
                HasSubstr("expected [5, 4] Double"));
    EXPECT_THAT(testing::error_message(
                    [&] { rotary_self_attention(in.qkv, in.cos.to(at::kFloat), in.sin, 0.5); }),
                HasSubstr("rotary table: got [5, 4] Float"));
}

}  // namespace
}  // namespace pita::detail
