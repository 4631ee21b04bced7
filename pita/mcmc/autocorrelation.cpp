#include "pita/mcmc/autocorrelation.h"

#include <cmath>

#include <ATen/ATen.h>

#include "pita/core/error.h"

namespace pita {

AutocorrelationEstimate integrated_autocorrelation_time(const at::Tensor& series_in, double c) {
    PITA_CHECK(series_in.dim() == 2 && series_in.size(0) >= 2,
               "[autocorrelation] series: got shape [{}]; expected [n_steps >= 2, n_chains].",
               fmt::join(series_in.sizes(), ", "));
    const at::Tensor series = series_in.to(at::kCPU, at::kDouble).contiguous();
    const int64_t n = series.size(0);
    const int64_t chains = series.size(1);
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
    AutocorrelationEstimate est;
    const double c0 = autocov(0);
    if (!(c0 > 0)) {  // a constant series: every sample is the same, τ is undefined; call it 1
        est.converged = true;
        est.effective_samples = static_cast<double>(n * chains);
        return est;
    }
    double tau = 1.0;
    int64_t lag = 1;
    for (; lag < n; ++lag) {
        tau += 2.0 * autocov(lag) / c0;
        if (static_cast<double>(lag) >= c * tau) {
            est.converged = true;
            break;
        }
    }
    est.tau = std::max(tau, 1e-12);
    est.window = lag;
    est.effective_samples = static_cast<double>(n * chains) / est.tau;
    return est;
}

MeanEstimate mean_with_error(const at::Tensor& series_in) {
    const at::Tensor series = series_in.to(at::kCPU, at::kDouble);
    MeanEstimate m;
    m.mean = series.mean().item<double>();
    m.stddev = series.numel() > 1 ? series.std().item<double>() : 0.0;
    m.tau = series.size(0) >= 2 ? integrated_autocorrelation_time(series).tau : 1.0;
    m.standard_error = m.stddev * std::sqrt(m.tau / static_cast<double>(series.numel()));
    return m;
}

}  // namespace pita
