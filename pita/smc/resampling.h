#pragma once
// Sequential Monte Carlo resampling (spec §5.5): from log-weights to ancestor indices, with the
// effective sample size that decides when to resample.
//
// Non-finite log-weights: a particle whose log-weight is NaN or ±inf gets weight 0 (it dies at the
// next resampling). +inf is not treated as "infinitely likely": in PITA it only arises from an
// overflowing increment, i.e. a numerical failure, not from a real probability. When every
// log-weight is non-finite there is nothing to resample from and the functions throw, naming
// `context` (e.g. "annealing step 412").
#include <cstdint>
#include <string>

#include "pita/core/tensor_fwd.h"

namespace pita {

enum class ResamplingScheme {
    Systematic,   ///< one uniform, N evenly spaced points: lowest variance, the default
    Multinomial,  ///< N independent draws (the reference's torch.multinomial)
    Residual,     ///< floor(N·w) copies, the rest multinomial on the residual weights
};

/// @throws ConfigError naming the valid choices
ResamplingScheme parse_resampling_scheme(const std::string& name);
std::string to_string(ResamplingScheme scheme);

/// Normalised weights, float64: exp(log_w − max) / Σ, with non-finite entries set to 0.
/// @param log_w [N], any floating dtype and device
/// @throws NumericalError when no entry is finite
at::Tensor normalized_weights(const at::Tensor& log_w, const std::string& context);

/// Kish effective sample size (Σw)²/Σw² ∈ [1, N] of the finite log-weights (0 if none is finite).
double effective_sample_size(const at::Tensor& log_w);

/// Caps the finite entries of `values` at their q-quantile (linear interpolation, as torch);
/// non-finite entries are left as they are, so they still count as dead. The reference's
/// variance control for log-weights (q = 0.9): biased, hence optional wherever it is used.
at::Tensor clamp_above_quantile(const at::Tensor& values, double q);

/// Number of distinct ancestors in a resampling's indices (a diversity diagnostic).
int64_t count_unique(const at::Tensor& indices);

/// Ancestor indices, [n_out] int64 on log_w's device; each scheme is unbiased:
/// E[#offspring of i] = n_out·w_i.
/// @throws NumericalError when no log-weight is finite
at::Tensor resample(const at::Tensor& log_w, ResamplingScheme scheme, int64_t n_out,
                    at::Generator& gen, const std::string& context);

}  // namespace pita
