#pragma once
// Metrics of peptide samples in torsion space that the populations of metastable states decide
// (issue 14; PITA-SPEC §7): the fraction of samples with φ > 0 (the left-handed basin, behind a
// barrier that short MD at 300 K does not cross) and the Ramachandran KL divergence.
#include <cstdint>
#include <string>

#include "pita/core/tensor_fwd.h"

namespace pita {

/// P(φ > 0) of one torsion with its standard error sqrt(p(1 − p)/n), where n counts distinct
/// samples (an SMC population holds copies of its resampled particles, which add no information).
/// The error assumes independent distinct samples; for correlated ones (MD frames) it is a lower
/// bound: use positive_fraction_of_chains.
struct PositiveFraction {
    double fraction = 0;
    double standard_error = 0;
    int64_t distinct_samples = 0;
    /// Integrated autocorrelation time of the φ > 0 indicator, in frames (1 for independent
    /// samples), and what the standard error is built on: "distinct samples" or "chains".
    double tau = 1.0;
    std::string standard_error_from = "distinct samples";
    int64_t lineages = 0;  ///< the SMC lineages the error counts (positive_fraction_of_lineages)
};

/// @param angles  [N] radians; non-finite entries are dropped
/// @param rows    [N, ...] the samples the angles belong to, to count distinct ones
PositiveFraction positive_fraction(const at::Tensor& angles, const at::Tensor& rows);
/// The same, counting distinct angle values.
PositiveFraction positive_fraction(const at::Tensor& angles);

/// P(φ > 0) of a time series: `angles` [N] are `chains` chains, record-major (row chains·f + c is
/// frame f of chain c), all finite. The standard error is sd·sqrt(τ/N) with the integrated
/// autocorrelation time τ of the indicator over the chains (pita/mcmc/autocorrelation.h): an MD
/// replica sits in one φ basin for tens of ps at 1200 K and nanoseconds at 300 K, so its frames
/// are far from independent and sqrt(p(1 − p)/N) understates the error several-fold. Where τ
/// cannot be estimated (under 32 frames per chain) it falls back to sqrt(p(1 − p)/N) and says so
/// in standard_error_from.
PositiveFraction positive_fraction_of_chains(const at::Tensor& angles, int64_t chains);

/// P(φ > 0) of an SMC population: `lineage` [N] int64 names the prior draw each sample descends
/// from (AnnealResult::origin). Copies of one trajectory share their basin, so the samples are
/// clusters, not independent draws: 512 samples from 37 lineages carry about as much information
/// as 37. The standard error is the cluster-robust one, sqrt(C/(C − 1) Σ_c S_c²)/N with S_c the
/// sum of (1[φ > 0] − p) over lineage c and C lineages, never below the distinct-sample bound;
/// with one lineage it is 0.5 (one draw says nothing about a fraction).
PositiveFraction positive_fraction_of_lineages(const at::Tensor& angles, const at::Tensor& lineage);

/// The Ramachandran KL divergence KL(ref ‖ gen) of one residue's (φ, ψ) (the definition the
/// paper's number most likely follows, FAB's evaluate_aldp; spec §7): 64×64 histograms over
/// [−π, π]² normalised as densities, ε = 1e-10 added to both, Σ p·log((p + ε)/(q + ε))·(2π/64)².
/// Rows with a non-finite angle are dropped. Large finite-sample floor: report it beside the KL
/// of two halves of the reference.
/// @param reference, generated  [M, 2], [N, 2] (φ, ψ) radians
/// @param bins  per axis
double ramachandran_kl(const at::Tensor& reference, const at::Tensor& generated, int64_t bins = 64);

}  // namespace pita
