#pragma once
// Distances between a generated sample set and a reference set at one temperature (spec §7),
// and a reference-free check of a sample set's temperature. Free functions on [N, n, d] tensors
// of configurations (any device and floating dtype; computed in float64 on the CPU).
#include <cstdint>

#include "pita/core/tensor_fwd.h"

namespace pita {

class Energy;

struct EnergyDistances {
    double w1 = 0;           ///< 1-D exact W1 between the reduced energies E/T
    double w2 = 0;           ///< 1-D exact W2 between the reduced energies E/T
    double mean_gap = 0;     ///< |mean(E_gen) − mean(E_ref)| / T
    int64_t non_finite = 0;  ///< generated energies dropped as NaN/inf (reported, not hidden)
};

/// Energy-W1/W2 on reduced energies E/T (the reference's `energy_w1`/`energy_w2`).
/// @param e_gen, e_ref [N], [M] energies E (not divided by T)
/// @throws NumericalError when no generated energy is finite or a reference energy is not
EnergyDistances energy_distances(const at::Tensor& e_gen, const at::Tensor& e_ref,
                                 double temperature);

/// Distance-W2: the exact 1-D W2 between all interatomic distances |x_i − x_j| (i < j) pooled
/// over the samples of each set (the reference's `dist_w2`). Rows with a non-finite coordinate
/// are dropped from the generated set.
double interatomic_distance_w2(const at::Tensor& x_gen, const at::Tensor& x_ref);

struct ConfigurationalTemperature {
    double value = 0;           ///< ⟨Σ_i (x_i − x̄)·∇_i E⟩ / dof
    double standard_error = 0;  ///< of the mean over samples, assuming independent samples
};

/// The configurational temperature ⟨x·∇E⟩/dof of samples from exp(−E/T): equals T for exact
/// samples (generalised equipartition, needs only E and its gradient). dof = n·d − d for a
/// translation-invariant (mean-free) system, n·d otherwise.
/// @param force [N, n, d] −∇E at x
ConfigurationalTemperature configurational_temperature(const at::Tensor& x, const at::Tensor& force,
                                                       bool translation_invariant);

/// Rugh's configurational temperature ⟨|∇E|²⟩/⟨∇²E⟩ (the divergence theorem applied to
/// ∇E·e^{−E/T}), in E's units. The Laplacian by central differences of the forces,
/// −Σ_k (F_k(x + h·e_k) − F_k(x − h·e_k))/(2h): 2·n·d + 1 force evaluations per sample (counted
/// by `energy`). Unlike the virial form above, whose per-sample variance a stiff molecule's
/// bond stretches dominate, every term here is O(kT) per degree of freedom, so it converges
/// far faster on peptides (ALDP at 300 K: ±1 % from ~3 000 frames). The standard error is the
/// delta-method error of the ratio, assuming independent samples.
/// @param x     [N, n, d] configurations, E's length units; rows with a non-finite result are
///              dropped
/// @param step  h, in x's units (1e-5 gives ~1e-8 relative error in float64 for nm or the
///              normalised peptide coordinates)
/// @throws NumericalError when fewer than 2 samples give finite results
ConfigurationalTemperature rugh_configurational_temperature(const Energy& energy,
                                                            const at::Tensor& x,
                                                            double step = 1e-5);

/// Equivariant W2: sqrt of the exact optimal-transport cost between the two sets with the cost
/// c(x, y) = min over permutations and rotations of |x − R·P·y|² (aligned_squared_distance,
/// alignment.h; total over atoms, not per atom), uniform weights. The N·M alignments run on all
/// threads; keep N, M ≤ ~1000 (the cost matrix is N·M).
double equivariant_w2(const at::Tensor& x_gen, const at::Tensor& x_ref);

}  // namespace pita
