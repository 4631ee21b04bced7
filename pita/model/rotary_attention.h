#pragma once
// Multi-head self-attention with rotary positions, as the DiT's blocks use it (spec §3.4), in two
// implementations with one contract: a CPU kernel for short sequences (the 22–43 tokens of a
// peptide) and the composite of ATen operations it replaces. Internal to the DiT; exposed for
// its tests and benchmarks.
//
// Why a kernel: at these sizes LibTorch 1.13's CPU bmm runs one tiny GEMM per (batch, head)
// behind a select each, at 3–4 GFLOP/s, and the composite's layout copies, RoPE passes and the
// zero-filled gradients of its selects cost as much again. Profiled on configs/aldp.yaml's DiT
// (batch 128, 22 tokens, 4 heads of 16): bmm alone took 27 % of a training step, the zero fills
// another 7 % (docs/BENCHMARKS.md).
#include <cstdint>

#include <ATen/core/Tensor.h>

#include "pita/core/tensor_fwd.h"

namespace pita::detail {

/// softmax(q′k′ᵀ · scale) v per (batch, head), with q′ and k′ the rotary-embedded queries and
/// keys (RoPE in the interleaved-pair convention of pita/model/rotary.h, positions 0 … n − 1).
///
/// CPU float32/float64: one pass per (batch, head) over contiguous buffers, no layout copies;
/// its backward is the analytic one when the gradient is not itself differentiated, and the
/// composite's (recomputed, differentiable to any order) under create_graph, so the energy
/// network's second-order training is unchanged. Every other device runs the composite.
/// Rows (batch, head) are independent: results are bitwise the same for any thread count.
///
/// @param qkv   [batch, n, 3, heads, head_dim]: the qkv projection's rows as they come out of
///              the linear layer (query, key, value per token); head_dim even
/// @param cos   [n, head_dim], RotaryTables::cos for positions 0 … n − 1, qkv's dtype and device
/// @param sin   [n, head_dim], RotaryTables::sin_signed, likewise
/// @param scale the logits' factor, 1/sqrt(head_dim) in the DiT
/// @return      [batch, n, heads, head_dim], contiguous (the layout the output projection reads)
at::Tensor rotary_self_attention(const at::Tensor& qkv, const at::Tensor& cos,
                                 const at::Tensor& sin, double scale);

/// The same function from ATen operations (bmm, softmax, apply_rotary): any device and dtype,
/// differentiable to any order. The oracle of the kernel's tests, and the path off the CPU.
at::Tensor rotary_self_attention_composite(const at::Tensor& qkv, const at::Tensor& cos,
                                           const at::Tensor& sin, double scale);

}  // namespace pita::detail
