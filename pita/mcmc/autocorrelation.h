#pragma once
// Integrated autocorrelation time of MCMC output, by Sokal's adaptive window: τ = 1 + 2Σ_{t≤M} ρ(t)
// with the smallest M ≥ c·τ(M). Several independent chains share one autocovariance estimate.
#include <cstdint>
#include <string>
#include <vector>

#include "pita/core/tensor_fwd.h"

namespace pita {

struct AutocorrelationEstimate {
    double tau = 1.0;    ///< integrated autocorrelation time, in steps of the series; ≥ 1, NaN
                         ///< when the series is too short (< 32 samples per chain) or non-finite
    int64_t window = 0;  ///< M, the summation window used
    bool converged = false;  ///< false when the series is too short for M ≥ c·τ (then τ is a
                             ///< floor), too short to estimate at all, or constant
    double effective_samples = 0.0;  ///< n_steps · n_chains / τ ≤ n_steps · n_chains (NaN with τ)
    std::string note;                ///< why τ is not a converged estimate; empty when it is
};

/// A constant series gives τ = 1, ESS = N, not converged, with a note.
/// @param series [n_steps, n_chains] float64 (one column per independent chain)
/// @param c      Sokal's window factor (5 is customary)
AutocorrelationEstimate integrated_autocorrelation_time(const at::Tensor& series, double c = 5.0);

/// Mean and its standard error of [n_steps, n_chains] samples, accounting for autocorrelation:
/// sd·sqrt(τ/N). NaN (with a note) where τ cannot be estimated; 0 for a constant series.
struct MeanEstimate {
    double mean = 0.0;
    double standard_error = 0.0;
    double stddev = 0.0;
    double tau = 1.0;
    std::string note;  ///< why the standard error is missing or unreliable; empty when it is fine
};
MeanEstimate mean_with_error(const at::Tensor& series);

}  // namespace pita
