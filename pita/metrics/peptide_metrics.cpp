#include "pita/metrics/peptide_metrics.h"

#include <algorithm>
#include <cmath>

#include <ATen/ATen.h>

#include "pita/core/error.h"
#include "pita/core/units.h"
#include "pita/mcmc/autocorrelation.h"

namespace pita {

namespace {

/// 2-D density histogram of (φ, ψ) over [−π, π]², [bins, bins], integrating to 1 (or all zeros
/// for no rows).
at::Tensor density_histogram(const at::Tensor& phi_psi, int64_t bins) {
    const at::Tensor a = phi_psi.to(at::kCPU, at::kDouble);
    const at::Tensor finite = at::isfinite(a).all(1);
    const at::Tensor ok = a.index({finite});
    const double width = 2 * kPi / static_cast<double>(bins);
    // Bin k holds [−π + k·w, −π + (k+1)·w); π itself goes to the last bin.
    const at::Tensor idx =
        ((ok + kPi) / width).floor().clamp(0, static_cast<double>(bins - 1)).to(at::kLong);
    const at::Tensor flat = idx.select(1, 0) * bins + idx.select(1, 1);
    at::Tensor counts = at::zeros({bins * bins}, at::kDouble);
    if (ok.size(0) > 0) counts.index_add_(0, flat, at::ones({ok.size(0)}, at::kDouble));
    const double n = static_cast<double>(ok.size(0));
    return n > 0 ? counts.view({bins, bins}) / (n * width * width) : counts.view({bins, bins});
}

}  // namespace

PositiveFraction positive_fraction(const at::Tensor& angles) {
    return positive_fraction(angles, at::Tensor());
}

PositiveFraction positive_fraction(const at::Tensor& angles, const at::Tensor& rows) {
    const at::Tensor a = angles.to(at::kCPU, at::kDouble).reshape(-1);
    const at::Tensor finite = at::isfinite(a);
    const at::Tensor ok = a.index({finite});
    PositiveFraction out;
    if (ok.numel() == 0) return out;
    out.fraction = ok.gt(0).to(at::kDouble).mean().item<double>();
    if (rows.defined()) {
        const at::Tensor r = rows.to(at::kCPU).flatten(1).index({finite});
        out.distinct_samples = std::get<0>(at::unique_dim(r, 0)).size(0);
    } else {
        out.distinct_samples = std::get<0>(at::_unique(ok)).numel();
    }
    const auto n = static_cast<double>(out.distinct_samples);
    out.standard_error = std::sqrt(out.fraction * (1 - out.fraction) / n);
    return out;
}

PositiveFraction positive_fraction_of_chains(const at::Tensor& angles, int64_t chains) {
    const at::Tensor a = angles.to(at::kCPU, at::kDouble).reshape(-1);
    PITA_CHECK(chains >= 1 && a.numel() % chains == 0,
               "[metrics] positive_fraction_of_chains: {} angles do not make {} chains.", a.numel(),
               chains);
    PITA_CHECK(at::isfinite(a).all().item<bool>(),
               "[metrics] positive_fraction_of_chains: non-finite angles break the time series.");
    PositiveFraction out;
    out.distinct_samples = a.numel();
    out.fraction = a.gt(0).to(at::kDouble).mean().item<double>();
    out.standard_error =
        std::sqrt(out.fraction * (1 - out.fraction) / static_cast<double>(a.numel()));
    const MeanEstimate m = mean_with_error(a.gt(0).to(at::kDouble).view({-1, chains}));
    if (!std::isfinite(m.standard_error)) return out;  // too short for τ: the independent bound
    out.tau = m.tau;
    // A series in one basin throughout has no spread to measure: its error stays the bound.
    out.standard_error = std::max(m.standard_error, out.standard_error);
    out.standard_error_from = "chains";
    return out;
}

PositiveFraction positive_fraction_of_lineages(const at::Tensor& angles,
                                               const at::Tensor& lineage) {
    const at::Tensor a = angles.to(at::kCPU, at::kDouble).reshape(-1);
    const at::Tensor id = lineage.to(at::kCPU, at::kLong).reshape(-1);
    PITA_CHECK(id.numel() == a.numel(),
               "[metrics] positive_fraction_of_lineages: {} angles but {} lineage labels.",
               a.numel(), id.numel());
    PositiveFraction out = positive_fraction(a);
    if (a.numel() == 0) return out;
    const auto [labels, cluster] = at::_unique(id, /*sorted=*/true, /*return_inverse=*/true);
    const int64_t c = labels.numel();
    const at::Tensor deviation = a.gt(0).to(at::kDouble) - out.fraction;
    const at::Tensor sums = at::zeros({c}, deviation.options()).index_add_(0, cluster, deviation);
    const double n = static_cast<double>(a.numel());
    const double clustered = c >= 2
                                 ? std::sqrt(static_cast<double>(c) / static_cast<double>(c - 1) *
                                             sums.pow(2).sum().item<double>()) /
                                       n
                                 : 0.5;
    out.standard_error = std::max(out.standard_error, clustered);
    out.standard_error_from = "lineages";
    out.lineages = c;
    return out;
}

double ramachandran_kl(const at::Tensor& reference, const at::Tensor& generated, int64_t bins) {
    PITA_CHECK(reference.dim() == 2 && reference.size(1) == 2 && generated.dim() == 2 &&
                   generated.size(1) == 2,
               "[metrics] ramachandran_kl: expected [M, 2] and [N, 2] (φ, ψ); got {} and {} "
               "dimensions.",
               reference.dim(), generated.dim());
    PITA_CHECK(bins >= 1, "[metrics] ramachandran_kl: bins {}; expected >= 1.", bins);
    constexpr double kEps = 1e-10;
    const at::Tensor p = density_histogram(reference, bins);
    const at::Tensor q = density_histogram(generated, bins);
    const double width = 2 * kPi / static_cast<double>(bins);
    return (p * ((p + kEps) / (q + kEps)).log()).sum().item<double>() * width * width;
}

}  // namespace pita
