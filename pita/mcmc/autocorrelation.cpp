#include "pita/mcmc/autocorrelation.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <ATen/ATen.h>
#include <fmt/format.h>

#include "pita/core/error.h"

namespace pita {
namespace {

/// Fewer kept samples per chain than this and τ is not estimated at all (issue 12: 4 chains × 4
/// samples gave τ = 1e-12, ESS 1.6e13 and "converged"). Sokal's window needs M ≥ c·τ ≥ 5 lags
/// even for independent samples; 32 puts at least 6 such windows in each chain, so the
/// autocovariance at the window's edge rests on ≥ 27 products per chain rather than a handful,
/// and a chain has had several τ to move away from where it started. Below that no error bar
/// built on τ means anything; above it a non-converged window is still reported as such.
constexpr int64_t kMinSamplesPerChain = 32;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

}  // namespace

AutocorrelationEstimate integrated_autocorrelation_time(const at::Tensor& series_in, double c) {
    PITA_CHECK(series_in.dim() == 2 && series_in.size(0) >= 1 && series_in.size(1) >= 1,
               "[autocorrelation] series: got shape [{}]; expected [n_steps >= 1, n_chains >= 1].",
               fmt::join(series_in.sizes(), ", "));
    const at::Tensor series = series_in.to(at::kCPU, at::kDouble).contiguous();
    const int64_t n = series.size(0);
    const int64_t chains = series.size(1);
    AutocorrelationEstimate est;
    if (n < kMinSamplesPerChain) {
        est.tau = kNaN;
        est.effective_samples = kNaN;
        est.note = fmt::format(
            "only {} samples per chain; at least {} are needed to estimate the autocorrelation "
            "time, so there is no error bar. Run longer (more production steps or less thinning).",
            n, kMinSamplesPerChain);
        return est;
    }
    if (!at::isfinite(series).all().item<bool>()) {
        est.tau = kNaN;
        est.effective_samples = kNaN;
        est.note = "the series has non-finite values; τ is undefined.";
        return est;
    }
    // Exactly equal samples, tested directly: a pooled mean that misses a constant by an ulp
    // leaves a variance of ~1e-34 whose autocorrelations are all 1 (τ ≈ 2n, not converged) or,
    // when it hits it, c0 = 0. Either way there is no fluctuation to time; every sample is the
    // mean, so ESS = N and a zero standard error are exact, but a constant MCMC observable
    // usually means the chains do not move.
    if (series.max().item<double>() == series.min().item<double>()) {
        est.effective_samples = static_cast<double>(n * chains);
        est.note = fmt::format(
            "the series is constant (all {} samples equal {}): τ is undefined and taken as 1. "
            "Check that the chains move (acceptance, step size).",
            n * chains, series.flatten()[0].item<double>());
        return est;
    }
    // Centre each chain on the pooled mean, so differences between chains count as variance.
    const at::Tensor centred = (series - series.mean()).contiguous();
    const double* p = centred.data_ptr<double>();
    auto autocov = [&](int64_t lag) {
        double sum = 0.0;
        for (int64_t t = 0; t + lag < n; ++t)
            for (int64_t k = 0; k < chains; ++k)
                sum += p[t * chains + k] * p[(t + lag) * chains + k];
        return sum / static_cast<double>((n - lag) * chains);
    };
    const double c0 = autocov(0);
    double tau = 1.0;
    int64_t lag = 1;
    for (; lag < n; ++lag) {
        tau += 2.0 * autocov(lag) / c0;
        // τ ≥ 1 in the window rule too: anticorrelated noise drives the running sum below 1
        // (below 0 for alternating signs), which used to stop the window at lag 1.
        if (static_cast<double>(lag) >= c * std::max(tau, 1.0)) {
            est.converged = true;
            break;
        }
    }
    // Floor at 1: τ < 1 (anticorrelation, or noise around 1) would claim more independent
    // samples than there are draws; as an error bar, that of independent draws is the honest one.
    est.tau = std::max(tau, 1.0);
    est.window = lag;
    est.effective_samples = static_cast<double>(n * chains) / est.tau;
    if (!est.converged)
        est.note = fmt::format(
            "the summation window reached the end of the series ({} samples per chain) before "
            "M ≥ {}·τ: τ = {:.3g} is a lower bound and the error bar too small. Run longer.",
            n, c, est.tau);
    return est;
}

MeanEstimate mean_with_error(const at::Tensor& series_in) {
    const at::Tensor series = series_in.to(at::kCPU, at::kDouble);
    MeanEstimate m;
    m.mean = series.mean().item<double>();
    m.stddev = series.numel() > 1 ? series.std().item<double>() : 0.0;
    if (series.numel() > 0 && series.max().item<double>() == series.min().item<double>()) {
        m.mean = series.flatten()[0].item<double>();  // exact, not a sum's round-off (1e-19)
        m.stddev = 0.0;
    }
    const AutocorrelationEstimate est = integrated_autocorrelation_time(series);
    m.tau = est.tau;  // NaN when too short: so is the standard error
    m.standard_error = m.stddev * std::sqrt(m.tau / static_cast<double>(series.numel()));
    m.note = est.note;
    return m;
}

}  // namespace pita
