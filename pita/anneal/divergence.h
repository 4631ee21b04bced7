#pragma once
// Divergence ∇·f(x) of a per-row vector field (the score network; spec §5.4, where it dominates
// the cost of annealing) as contractions of vector-Jacobian products with C weight vectors per
// row ("copies"). From 32 rows per chunk on, f is evaluated once and its graph differentiated
// once per copy; on fewer rows, f is evaluated on C stacked copies of the rows in one forward and
// one backward pass, which saves backward calls where each is mostly fixed cost:
//   exact       D copies, copy j differentiates output coordinate j: the Jacobian's diagonal
//   hutchinson  K copies with Rademacher probes ε: (1/K) Σ εᵀJε, unbiased, variance
//               (2/K)·Σ_{i≠j} ((J_ij + J_ji)/2)² per row
// f must treat rows independently (true of every backbone here: no batch statistics).
#include <cstdint>
#include <functional>

#include <ATen/core/Tensor.h>  // the result struct holds tensors by value

namespace pita {

/// f: [rows, n, d] → [rows, n, d], differentiable in its input.
using VectorField = std::function<at::Tensor(const at::Tensor&)>;

struct ValueAndDivergence {
    at::Tensor value;       ///< f(x), [B, n, d], detached
    at::Tensor divergence;  ///< [B], x's dtype
};

/// Exact divergence (the trace of the Jacobian in all n·d coordinates).
/// @param max_rows  bounds copies × rows per chunk (memory: a stacked pass holds all of them); >= D
ValueAndDivergence exact_divergence(const VectorField& f, const at::Tensor& x,
                                    int64_t max_rows = 65536);

/// Hutchinson estimate with `probes` Rademacher vectors per row (drawn from `gen`).
ValueAndDivergence hutchinson_divergence(const VectorField& f, const at::Tensor& x, int64_t probes,
                                         at::Generator& gen, int64_t max_rows = 65536);

}  // namespace pita
