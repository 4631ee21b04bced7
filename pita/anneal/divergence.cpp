#include "pita/anneal/divergence.h"

#include <algorithm>

#include <torch/torch.h>

#include "pita/core/error.h"

namespace pita {
namespace {

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

void check_input(const at::Tensor& x) {
    PITA_CHECK(x.dim() == 3 && x.size(0) > 0,
               "[divergence] x: got shape [{}]; expected [batch, n_particles, spatial_dim].",
               fmt::join(x.sizes(), ", "));
}

}  // namespace

ValueAndDivergence exact_divergence(const VectorField& f, const at::Tensor& x, int64_t max_rows) {
    check_input(x);
    const int64_t dim = x.size(1) * x.size(2);
    const int64_t chunk = std::max<int64_t>(1, max_rows / dim);
    // unit[j, j] = 1: copy j picks output coordinate j.
    const at::Tensor unit = at::eye(dim, x.options());
    std::vector<at::Tensor> values, divs;
    for (int64_t i = 0; i < x.size(0); i += chunk) {
        const at::Tensor xc = x.slice(0, i, i + chunk);
        const at::Tensor weights = unit.unsqueeze(1).expand({dim, xc.size(0), dim});
        auto [value, div] = stacked_vjp(f, xc, weights);
        values.push_back(value);
        divs.push_back(div);
    }
    return {at::cat(values), at::cat(divs)};
}

ValueAndDivergence hutchinson_divergence(const VectorField& f, const at::Tensor& x, int64_t probes,
                                         at::Generator& gen, int64_t max_rows) {
    check_input(x);
    PITA_CHECK(probes >= 1, "[divergence] hutchinson probes: got {}; expected >= 1.", probes);
    const int64_t dim = x.size(1) * x.size(2);
    const int64_t chunk = std::max<int64_t>(1, max_rows / probes);
    std::vector<at::Tensor> values, divs;
    for (int64_t i = 0; i < x.size(0); i += chunk) {
        const at::Tensor xc = x.slice(0, i, i + chunk);
        const at::Tensor eps =
            at::randint(2, {probes, xc.size(0), dim}, gen, x.options()).mul_(2).sub_(1);
        auto [value, sum] = stacked_vjp(f, xc, eps);
        values.push_back(value);
        divs.push_back(sum / static_cast<double>(probes));
    }
    return {at::cat(values), at::cat(divs)};
}

}  // namespace pita
