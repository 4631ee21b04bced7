#include "pita/anneal/divergence.h"

#include <algorithm>

#include <torch/torch.h>

#include "pita/core/error.h"

namespace pita {
namespace {

// From this many rows per chunk on, f is evaluated once and differentiated once per copy
// (separate_vjps); below it, on stacked copies in one pass (stacked_vjp), where the fixed cost of
// each backward call outweighs the forward passes saved. Measured on one annealing step
// (docs/BENCHMARKS.md): at 32 rows and up, separate passes were 1.6–2.1× faster with 8
// Hutchinson probes and 2.3–4.3× with the exact divergence (39 and 66 copies), and the same
// with one probe (where both are one forward and one backward pass).
constexpr int64_t kSeparateVjpMinRows = 32;

/// Evaluates f on `copies` stacked copies of x and differentiates Σ ⟨f(copy k), w_k⟩ once.
/// @param weights [copies, b, D]: unit vectors (exact) or probes (Hutchinson)
/// @return value of copy 0 [b, n, d] and the per-copy ⟨∇(f·w_k), w_k⟩ summed over copies [b]
std::pair<at::Tensor, at::Tensor> stacked_vjp(const VectorField& f, const at::Tensor& x,
                                              const at::Tensor& weights) {
    const int64_t copies = weights.size(0);
    const int64_t b = x.size(0);
    torch::AutoGradMode grad_on(true);
    at::Tensor xs = x.detach()
                        .unsqueeze(0)
                        .expand({copies, b, x.size(1), x.size(2)})
                        .reshape({copies * b, x.size(1), x.size(2)})
                        .requires_grad_(true);
    const at::Tensor out = f(xs);
    PITA_ASSERT(out.sizes() == xs.sizes(), "divergence: f must map [rows, n, d] to itself");
    const at::Tensor w = weights.reshape(out.sizes());
    const at::Tensor g = torch::autograd::grad({(out * w).sum()}, {xs})[0];
    const at::Tensor contraction = (g * w).reshape({copies, b, -1}).sum(2).sum(0);
    return {out.detach().reshape({copies, b, x.size(1), x.size(2)})[0], contraction};
}

/// The same contraction from one forward pass on x and one vector-Jacobian product per copy
/// (the graph kept between them): copies − 1 fewer forward passes than stacked_vjp, whose copies
/// all evaluate f on the same rows, at the price of `copies` backward calls.
std::pair<at::Tensor, at::Tensor> separate_vjps(const VectorField& f, const at::Tensor& x,
                                                const at::Tensor& weights) {
    const int64_t copies = weights.size(0);
    torch::AutoGradMode grad_on(true);
    const at::Tensor xg = x.detach().requires_grad_(true);
    const at::Tensor out = f(xg);
    PITA_ASSERT(out.sizes() == xg.sizes(), "divergence: f must map [rows, n, d] to itself");
    at::Tensor contraction;
    for (int64_t k = 0; k < copies; ++k) {
        const at::Tensor w = weights[k].reshape(out.sizes());
        const at::Tensor g =
            torch::autograd::grad({out}, {xg}, {w}, /*retain_graph=*/k + 1 < copies)[0];
        const at::Tensor term = (g * w).reshape({x.size(0), -1}).sum(1);
        contraction = contraction.defined() ? contraction + term : term;
    }
    return {out.detach(), contraction};
}

void check_input(const at::Tensor& x) {
    PITA_CHECK(x.dim() == 3 && x.size(0) > 0,
               "[divergence] x: got shape [{}]; expected [batch, n_particles, spatial_dim].",
               fmt::join(x.sizes(), ", "));
}

/// stacked_vjp over chunks of x small enough that copies × chunk rows stay within max_rows.
/// @param weights  rows → [copies, rows, D] (unit vectors or probes)
/// @param divisor  divides the summed contractions (K for K Hutchinson probes)
ValueAndDivergence over_chunks(const VectorField& f, const at::Tensor& x, int64_t copies,
                               int64_t max_rows, const std::function<at::Tensor(int64_t)>& weights,
                               double divisor) {
    const int64_t chunk = std::max<int64_t>(1, max_rows / copies);
    std::vector<at::Tensor> values, divs;
    for (int64_t i = 0; i < x.size(0); i += chunk) {
        const at::Tensor xc = x.slice(0, i, i + chunk);
        const at::Tensor w = weights(xc.size(0));
        auto [value, sum] =
            xc.size(0) >= kSeparateVjpMinRows ? separate_vjps(f, xc, w) : stacked_vjp(f, xc, w);
        values.push_back(value);
        divs.push_back(divisor == 1.0 ? sum : sum / divisor);
    }
    return {at::cat(values), at::cat(divs)};
}

}  // namespace

ValueAndDivergence exact_divergence(const VectorField& f, const at::Tensor& x, int64_t max_rows) {
    check_input(x);
    const int64_t dim = x.size(1) * x.size(2);
    // unit[j, j] = 1: copy j picks output coordinate j.
    const at::Tensor unit = at::eye(dim, x.options());
    return over_chunks(
        f, x, dim, max_rows,
        [&](int64_t rows) {
            return unit.unsqueeze(1).expand({dim, rows, dim});
        },
        1.0);
}

ValueAndDivergence hutchinson_divergence(const VectorField& f, const at::Tensor& x, int64_t probes,
                                         at::Generator& gen, int64_t max_rows) {
    check_input(x);
    PITA_CHECK(probes >= 1, "[divergence] hutchinson probes: got {}; expected >= 1.", probes);
    const int64_t dim = x.size(1) * x.size(2);
    return over_chunks(
        f, x, probes, max_rows,
        [&](int64_t rows) {
            return at::randint(2, {probes, rows, dim}, gen, x.options()).mul_(2).sub_(1);
        },
        static_cast<double>(probes));
}

}  // namespace pita
