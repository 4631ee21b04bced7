#pragma once
// Integrated autocorrelation time of MCMC output, by Sokal's adaptive window: τ = 1 + 2Σ_{t≤M} ρ(t)
// with the smallest M ≥ c·τ(M). Several independent chains share one autocovariance estimate.
#include <cstdint>
#include <vector>

#include "pita/core/tensor_fwd.h"

namespace pita {

struct AutocorrelationEstimate {
    double tau = 1.0;    ///< integrated autocorrelation time, in steps of the series
    int64_t window = 0;  ///< M, the summation window used
    bool converged = false;  ///< false when the series is too short for M ≥ c·τ (then τ is a floor)
    double effective_samples = 0.0;  ///< n_steps · n_chains / τ
};

/// @param series [n_steps, n_chains] float64 (one column per independent chain)
/// @param c      Sokal's window factor (5 is customary)
AutocorrelationEstimate integrated_autocorrelation_time(const at::Tensor& series, double c = 5.0);

/// Mean and its standard error of [n_steps, n_chains] samples, accounting for autocorrelation.
struct MeanEstimate {
    double mean = 0.0;
    double standard_error = 0.0;
    double stddev = 0.0;
    double tau = 1.0;
};
MeanEstimate mean_with_error(const at::Tensor& series);

}  // namespace pita
