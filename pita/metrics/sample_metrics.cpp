#include "pita/metrics/sample_metrics.h"

#include <cmath>
#include <vector>

#include <ATen/ATen.h>

#include "pita/core/error.h"
#include "pita/core/parallel_rows.h"
#include "pita/energy/energy.h"
#include "pita/metrics/alignment.h"
#include "pita/metrics/optimal_transport.h"
#include "pita/metrics/wasserstein_1d.h"

namespace pita {
namespace {

std::vector<double> to_vector(const at::Tensor& t) {
    const at::Tensor c = t.detach().to(at::kCPU, at::kDouble).contiguous().view(-1);
    return {c.data_ptr<double>(), c.data_ptr<double>() + c.numel()};
}

at::Tensor cpu_double(const at::Tensor& t, const char* what) {
    PITA_CHECK(t.dim() == 3, "[metrics] {}: got a tensor of {} dimensions; expected [N, n, d].",
               what, t.dim());
    return t.detach().to(at::kCPU, at::kDouble).contiguous();
}

/// Rows whose coordinates are all finite.
at::Tensor finite_configurations(const at::Tensor& x) {
    return x.index({at::isfinite(x).flatten(1).all(1)});
}

at::Tensor pooled_distances(const at::Tensor& x) {
    const int64_t n = x.size(1);
    const at::Tensor pairs = at::triu_indices(n, n, 1);
    const at::Tensor d = at::cdist(x, x);  // [N, n, n]
    return d.index({at::indexing::Slice(), pairs[0], pairs[1]}).reshape(-1);
}

}  // namespace

EnergyDistances energy_distances(const at::Tensor& e_gen, const at::Tensor& e_ref,
                                 double temperature) {
    PITA_CHECK(temperature > 0, "[metrics] energy distances at T = {}; expected T > 0.",
               temperature);
    const at::Tensor g = e_gen.detach().to(at::kCPU, at::kDouble).reshape(-1);
    const at::Tensor finite = g.index({at::isfinite(g)});
    EnergyDistances out;
    out.non_finite = g.numel() - finite.numel();
    PITA_CHECK_AS(NumericalError, finite.numel() > 0,
                  "[metrics] energy distances: none of the {} generated energies is finite.",
                  g.numel());
    const at::Tensor r = e_ref.detach().to(at::kCPU, at::kDouble).reshape(-1);
    std::vector<double> a = to_vector(finite / temperature);
    std::vector<double> b = to_vector(r / temperature);
    out.w1 = wasserstein_1d(a, b, 1.0);
    out.w2 = wasserstein_1d(std::move(a), std::move(b), 2.0);
    out.mean_gap = std::abs((finite.mean() - r.mean()).item<double>()) / temperature;
    return out;
}

double interatomic_distance_w2(const at::Tensor& x_gen, const at::Tensor& x_ref) {
    const at::Tensor g = finite_configurations(cpu_double(x_gen, "distance-W2 (generated)"));
    const at::Tensor r = cpu_double(x_ref, "distance-W2 (reference)");
    PITA_CHECK(g.size(1) == r.size(1) && g.size(2) == r.size(2),
               "[metrics] distance-W2: generated configurations are [{}, {}], reference ones "
               "[{}, {}].",
               g.size(1), g.size(2), r.size(1), r.size(2));
    PITA_CHECK_AS(NumericalError, g.size(0) > 0,
                  "[metrics] distance-W2: no generated configuration is finite.");
    return wasserstein_1d(to_vector(pooled_distances(g)), to_vector(pooled_distances(r)), 2.0);
}

ConfigurationalTemperature configurational_temperature(const at::Tensor& x_in,
                                                       const at::Tensor& force_in,
                                                       bool translation_invariant) {
    const at::Tensor x = cpu_double(x_in, "configurational temperature (x)");
    const at::Tensor f = cpu_double(force_in, "configurational temperature (force)");
    PITA_CHECK(x.sizes() == f.sizes(),
               "[metrics] configurational temperature: x and force shapes differ.");
    const int64_t n = x.size(1);
    const int64_t d = x.size(2);
    const int64_t dof = translation_invariant ? n * d - d : n * d;
    const at::Tensor centred = translation_invariant ? x - x.mean(1, true) : x;
    const at::Tensor per_sample = -(centred * f).sum({1, 2}) / static_cast<double>(dof);
    const at::Tensor finite = per_sample.index({at::isfinite(per_sample)});
    PITA_CHECK_AS(NumericalError, finite.numel() > 1,
                  "[metrics] configurational temperature: fewer than 2 finite samples.");
    ConfigurationalTemperature out;
    out.value = finite.mean().item<double>();
    out.standard_error =
        finite.std().item<double>() / std::sqrt(static_cast<double>(finite.numel()));
    return out;
}

ConfigurationalTemperature rugh_configurational_temperature(const Energy& energy,
                                                            const at::Tensor& x_in, double step) {
    const at::Tensor x = cpu_double(x_in, "Rugh configurational temperature (x)");
    PITA_CHECK(step > 0 && std::isfinite(step),
               "[metrics] Rugh configurational temperature: step: got {}; expected > 0.", step);
    const int64_t batch = x.size(0), n = x.size(1), d = x.size(2), dof = n * d;
    const at::Tensor force = energy.energy_and_force(x).force.to(at::kDouble).cpu();
    const at::Tensor shift = step * at::eye(dof, at::kDouble).view({dof, n, d});
    at::Tensor laplacian = at::empty({batch}, at::kDouble);
    for (int64_t b = 0; b < batch; ++b) {
        // All 2·dof displaced copies of one sample in one batch; the Jacobian's diagonal is
        // component k of the force at the copy displaced along k.
        const at::Tensor copies = at::cat({x[b].unsqueeze(0) + shift, x[b].unsqueeze(0) - shift});
        const at::Tensor f = energy.energy_and_force(copies).force.to(at::kDouble).cpu();
        const at::Tensor diff = (f.narrow(0, 0, dof) - f.narrow(0, dof, dof)).view({dof, dof});
        laplacian[b] = -diff.diagonal().sum() / (2 * step);
    }
    const at::Tensor grad_sq = force.pow(2).sum({1, 2});
    const at::Tensor keep = at::isfinite(grad_sq) & at::isfinite(laplacian);
    const at::Tensor a = grad_sq.index({keep});
    const at::Tensor b = laplacian.index({keep});
    PITA_CHECK_AS(NumericalError, a.numel() > 1,
                  "[metrics] Rugh configurational temperature: fewer than 2 finite samples.");
    const double mean_a = a.mean().item<double>();
    const double mean_b = b.mean().item<double>();
    ConfigurationalTemperature out;
    out.value = mean_a / mean_b;
    // Delta method: var(Ā/B̄) ≈ var(a − T·b)/(n·B̄²).
    const double count = static_cast<double>(a.numel());
    out.standard_error =
        (a - out.value * b).std().item<double>() / std::sqrt(count) / std::abs(mean_b);
    return out;
}

double equivariant_w2(const at::Tensor& x_gen, const at::Tensor& x_ref) {
    const at::Tensor g = finite_configurations(cpu_double(x_gen, "equivariant W2 (generated)"));
    const at::Tensor r = cpu_double(x_ref, "equivariant W2 (reference)");
    PITA_CHECK(g.size(1) == r.size(1) && g.size(2) == r.size(2),
               "[metrics] equivariant W2: configuration shapes differ.");
    // The generated set drops broken rows (they are counted by the caller); a broken reference
    // is bad input, named here rather than as a NaN cost deep inside the alignment.
    const at::Tensor bad_ref = at::nonzero(~at::isfinite(r).flatten(1).all(1));
    PITA_CHECK_AS(NumericalError, bad_ref.numel() == 0,
                  "[metrics] equivariant W2: reference configuration {} has a non-finite "
                  "coordinate; expected finite reference samples. Check the reference's "
                  "samples.npy.",
                  bad_ref.numel() > 0 ? bad_ref[0][0].item<int64_t>() : -1);
    PITA_CHECK_AS(NumericalError, g.size(0) > 0,
                  "[metrics] equivariant W2: no generated configuration is finite.");
    const int64_t n_gen = g.size(0);
    const int64_t n_ref = r.size(0);
    const int n = static_cast<int>(g.size(1));
    const int d = static_cast<int>(g.size(2));
    const double* gp = g.data_ptr<double>();
    const double* rp = r.data_ptr<double>();
    std::vector<double> cost(static_cast<std::size_t>(n_gen * n_ref));
    parallel_rows(n_gen, /*min_chunk=*/1, [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i)
            for (int64_t j = 0; j < n_ref; ++j)
                cost[static_cast<std::size_t>(i * n_ref + j)] =
                    aligned_squared_distance(gp + i * n * d, rp + j * n * d, n, d);
    });
    return std::sqrt(exact_transport_cost(cost, n_gen, n_ref));
}

}  // namespace pita
