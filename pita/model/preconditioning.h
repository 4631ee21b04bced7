#pragma once
// EDM preconditioning in terms of h = σ² and the data variance s = σ_data² (spec §3.1):
//   c_skip = s/(s+h), c_in = 1/sqrt(s+h), c_out = sqrt(h·s)/sqrt(s+h), c_noise = ln(h)/8.
// The reference fixes σ_data = 1. Where we differ (optional, `model.sigma_data`): with σ_data set
// to the data's per-coordinate standard deviation, an untrained model is already the exact model
// of N(0, (σ_data² + h)·I), i.e. it has the data's second moment; with σ_data = 1 on LJ-13 (whose
// per-coordinate variance at T = 4 is 3.9) most of a short training run goes into learning the
// scale (docs/RESULTS.md).
#include <ATen/core/Tensor.h>  // the struct holds tensors by value

namespace pita {

struct Preconditioning {
    at::Tensor c_skip;   ///< [batch, 1, 1]
    at::Tensor c_in;     ///< [batch, 1, 1]
    at::Tensor c_out;    ///< [batch, 1, 1]
    at::Tensor c_noise;  ///< [batch]
};

/// A per-row value given as a 0-d tensor (one h or β for the whole batch) broadcast to [batch];
/// a [batch] tensor is returned as it is.
at::Tensor per_row(const at::Tensor& v, int64_t batch);

/// @param h [batch] (or 0-d, broadcast to `batch`), noise variance σ² > 0
/// @param sigma_data  σ_data > 0 (1 = the reference)
Preconditioning precondition(const at::Tensor& h, int64_t batch, double sigma_data = 1.0);

}  // namespace pita
