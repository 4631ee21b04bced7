#pragma once
// Rotary position embedding (RoPE) in the interleaved-pair convention of torchtune's
// RotaryPositionalEmbeddings, which the reference DiT uses (spec §3.4): channels (2i, 2i+1) of a
// head at position p are rotated by the angle p·base^(−2i/head_dim). A rotation by p·θ on the
// query and by p'·θ on the key leaves their dot product a function of p − p' only, so attention
// sees relative positions. Internal to the DiT; exposed here for its tests.
#include <cstdint>

#include <ATen/core/Tensor.h>  // RotaryTables holds tensors by value

#include "pita/core/tensor_fwd.h"

namespace pita::detail {

/// The factors apply_rotary multiplies by: out = x·cos + swap_pairs(x)·sin_signed, where
/// swap_pairs maps each pair (x_2i, x_2i+1) to (x_2i+1, x_2i).
struct RotaryTables {
    at::Tensor cos;         ///< [n, head_dim], cos(p·θ_i) on both channels of pair i
    at::Tensor sin_signed;  ///< [n, head_dim], (−sin(p·θ_i), +sin(p·θ_i)) on pair i
};

/// Tables for positions position_offset, …, position_offset + n − 1. The angles are formed in
/// float64 and rounded once to `dtype`.
/// @throws ConfigError when head_dim is not positive and even, or n < 0.
RotaryTables rotary_tables(int64_t n, int64_t head_dim, c10::ScalarType dtype, c10::Device device,
                           int64_t position_offset = 0, double base = 10000.0);

/// Rotates x by the tables (any shape that broadcasts against x, e.g. [n, head_dim] for x of
/// [..., n, head_dim]). Differentiable to any order (products and a channel swap).
/// @param x [..., n, head_dim]
/// @return  x's shape, dtype and device
at::Tensor apply_rotary(const at::Tensor& x, const RotaryTables& tables);

/// Convenience form: positions position_offset, …, position_offset + n − 1 on dim −2 of x, tables
/// built for x's dtype and device.
at::Tensor apply_rotary(const at::Tensor& x, int64_t position_offset = 0, double base = 10000.0);

}  // namespace pita::detail
