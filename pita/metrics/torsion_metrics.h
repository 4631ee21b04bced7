#pragma once
// Distances between two sets of backbone dihedral angles (spec §7, "Ramachandran metrics"): how
// far a peptide sampler's φ/ψ distribution is from a reference's, by exact optimal transport.
#include <cstdint>

#include "pita/core/tensor_fwd.h"

namespace pita {

struct TorsionDistances {
    double w1 = 0;        ///< exact W1, Euclidean cost on the angle vectors (the reference's)
    double w2 = 0;        ///< sqrt of exact OT with squared Euclidean cost (the reference's)
    double torus_w2 = 0;  ///< sqrt of exact OT with Σ_d min(|Δ_d|, 2π − |Δ_d|)² (T-W2)
};

/// Uniform weights on both sides. The reference's W1/W2 treat angles as points of the plane
/// (φ = π and φ = −π far apart); T-W2 measures on the torus, where they coincide — the one to
/// read. Rows with a non-finite angle are dropped from `generated` (not from the reference).
/// @param generated, reference  [N, k], [M, k] angles in radians (e.g. [φ_1..φ_m, ψ_1..ψ_m])
/// @throws ConfigError for mismatched widths or an empty side
TorsionDistances torsion_distances(const at::Tensor& generated, const at::Tensor& reference);

}  // namespace pita
