#pragma once
// EDM preconditioning with σ_data = 1, in terms of h = σ² (spec §3.1):
//   c_skip = 1/(1+h), c_in = 1/sqrt(1+h), c_out = sqrt(h)/sqrt(1+h), c_noise = ln(h)/8.
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
Preconditioning precondition(const at::Tensor& h, int64_t batch);

}  // namespace pita
