#include "pita/metrics/torsion_metrics.h"

#include <cmath>
#include <vector>

#include <ATen/ATen.h>

#include "pita/core/error.h"
#include "pita/metrics/optimal_transport.h"

namespace pita {

TorsionDistances torsion_distances(const at::Tensor& generated, const at::Tensor& reference) {
    PITA_CHECK(generated.dim() == 2 && reference.dim() == 2 &&
                   generated.size(1) == reference.size(1) && generated.size(1) > 0,
               "[metrics] torsion distances: got shapes [{}] and [{}]; expected [N, k] and [M, k] "
               "angle vectors of the same width.",
               fmt::join(generated.sizes(), ", "), fmt::join(reference.sizes(), ", "));
    const at::Tensor g_all = generated.to(at::kDouble).cpu();
    const at::Tensor g = g_all.index({at::isfinite(g_all).all(1)}).contiguous();
    const at::Tensor r = reference.to(at::kDouble).cpu().contiguous();
    PITA_CHECK(g.size(0) > 0 && r.size(0) > 0,
               "[metrics] torsion distances: got {} finite generated and {} reference rows; "
               "expected at least one of each.",
               g.size(0), r.size(0));
    // [N, M, k] differences; N, M ≤ a few thousand, so the cost matrices fit in memory.
    const at::Tensor delta = (g.unsqueeze(1) - r.unsqueeze(0)).abs();
    const at::Tensor squared = delta.pow(2).sum(2).contiguous();
    const at::Tensor wrapped = at::minimum(delta, 2 * M_PI - delta).pow(2).sum(2).contiguous();
    const at::Tensor euclidean = squared.sqrt().contiguous();
    auto transport = [&](const at::Tensor& cost) {
        const double* p = cost.data_ptr<double>();
        return exact_transport_cost(std::vector<double>(p, p + cost.numel()), g.size(0), r.size(0));
    };
    TorsionDistances out;
    out.w1 = transport(euclidean);
    out.w2 = std::sqrt(transport(squared));
    out.torus_w2 = std::sqrt(transport(wrapped));
    return out;
}

}  // namespace pita
