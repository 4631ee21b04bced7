#pragma once
// Scoring a sample set at one temperature (spec §7, issue 5): against reference samples when a
// reference exists (energy-W1/W2 on E/T, distance-W2, equivariant W2 for particle systems), and
// reference-free (configurational temperature, ⟨E⟩). References are for evaluation only: nothing
// here feeds back into sampling or training.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>  // EvaluationOptions holds the samples' lineages by value
#include <nlohmann/json.hpp>

#include "pita/core/tensor_fwd.h"
#include "pita/metrics/peptide_features.h"
#include "pita/molecule/molecular_graph.h"

namespace pita {

class Energy;

struct EvaluationOptions {
    int64_t max_samples = 2000;         ///< subsample both sets to at most this many rows
    int64_t equivariant_samples = 300;  ///< rows per set for the equivariant W2 (N² alignments)
    uint64_t seed = 0;                  ///< for the subsampling
    /// Peptides: the dihedral angles the Ramachandran metrics compare (atom quadruples, e.g.
    /// φ_1..φ_m then ψ_1..ψ_m from backbone_torsions()), and their names. Non-empty marks the
    /// target as a molecule with labelled atoms: the equivariant W2 (which permutes atoms) is
    /// skipped and the torsion distances are computed instead.
    std::vector<std::array<int64_t, 4>> torsions;
    std::vector<std::string> torsion_names;
    int64_t torsion_samples = 1000;  ///< rows per set for the torsion OT (N·M costs)
    /// Peptides: bonds (broken-bond count; lengths in the samples' coordinates) and chirality
    /// centres (D/L check), from Energy::molecular_graph().
    std::vector<Bond> bonds;
    std::vector<ChiralCentre> chiral_centres;
    int64_t rugh_samples = 500;  ///< peptides: rows for Rugh's T_conf (2·3N + 1 forces each)
    /// Peptides: TICA-W1/W2 (pita/metrics/tica.h), fitted on the reference's time series. The
    /// features: distances of the C/N/S atoms and sin/cos of every φ, ψ, ω (from
    /// Energy::molecular_graph(); empty skips the metric).
    PeptideFeatureSpec tica_features;
    /// The lag in frames of the reference (1 ps apart in the shipped ones): 10 ps, below the
    /// 300 K autocorrelation time of ALDP's φ > 0 indicator (~13 frames, data/aldp/README.md),
    /// so the slow process is still correlated at the lag (λ0 = 0.22 at 300 K) while the
    /// vibrations (τ(E) of 2–3 frames) have decayed.
    int64_t tica_lag = 10;
    int64_t tica_samples = 1000;  ///< rows per set for the 2-D OT (n³ for n rows)
    /// Chains of the reference time series (row chains·f + c is frame f of chain c); 0 = read
    /// frames_shape [frames, chains, ...] from the md.json beside the reference's T<T>
    /// directories (the run record `pita md` writes), skipping the metric if there is none.
    int64_t tica_chains = 0;
    /// The evaluated rows are a time series of this many chains, record-major (row chains·f + c
    /// is frame f of chain c), e.g. MD replicas: P(φ > 0)'s standard error then accounts for the
    /// frames' autocorrelation (positive_fraction_of_chains). 0 = independent samples (SMC
    /// output), or a layout the rows do not fit (then ignored, with a note).
    int64_t sample_chains = 0;
    /// [N] int64, or undefined: the prior draw each evaluated row descends from (an SMC
    /// population, SampleSet::lineages). P(φ > 0)'s standard error then counts lineages, not
    /// copies (positive_fraction_of_lineages), over the rows kept. Ignored for a time series
    /// (sample_chains) and when the count does not match the rows (then with a note).
    at::Tensor sample_lineages;
};

/// For a peptide target (energy.type molecule): its φ/ψ torsions, its bonds and chirality
/// centres into `options`, so the Ramachandran, chirality and bond
/// metrics replace the atom-permuting equivariant W2. Other targets: no-op.
void add_target_torsions(const Energy& energy, EvaluationOptions& options);

/// The directory `<reference_root>/T<T>` (T printed with {:g}) holding samples.npy and
/// energies.npy, if it exists.
std::optional<std::string> reference_directory(const std::string& reference_root,
                                               double temperature);

/// Metrics of `x` (energies `e`, [N] float64 E) at `temperature`. With a reference directory:
/// {"reference": dir, "energy_w1", "energy_w2", "energy_mean_gap", "distance_w2",
/// "equivariant_w2" (particle systems) or "torsion_w1", "torsion_w2", "torsion_torus_w2"
/// (peptides), "reference_mean_energy"}; always: {"samples", "mean_energy",
/// "non_finite_samples" (rows with a non-finite coordinate), "non_finite_energies",
/// "energies_disagreeing_with_samples" (finite energies given for non-finite rows),
/// "samples_used" (rows with finite coordinates and energy: the only ones any metric sees),
/// "outlier_samples" and "outlier_details" (finite rows far outside the typical extent or
/// energy: kept in the metrics, flagged; evaluation.cpp says why and how),
/// "configurational_temperature": {value, standard_error, estimator:
/// "virial" ⟨Σ(x_i − x̄)·∇_iE⟩/dof, or for peptides "rugh" ⟨|∇E|²⟩/⟨∇²E⟩}, and
/// "energy_evaluations" (the force evaluations the configurational temperature needed; they are
/// the metrics' own, never counted as the sampler's)}; for peptides also "torsion_names" and
/// "torsion_mean_cos" (⟨cos θ⟩ per torsion: −1 all near ±π, +1 all near 0), "phi_positive"
/// (per φ: P(φ > 0) with its standard error over distinct samples, and with a reference the
/// reference's and z = the difference over the combined error), "rama_kl" (per residue with φ
/// and ψ, with a reference: KL(ref ‖ gen) and "floor", the KL between the reference's two
/// halves), "chirality" ({l_form, mirrored, mixed, d_fraction}: mirrored and mixed are D at some
/// centre) and "broken_bond_fraction" (some bond over 1.5× its equilibrium length); with a
/// reference that records its chains, "tica" ({w1, w2: exact 2-D OT on TIC0/TIC1 of the TICA
/// fitted on the reference; floor_w1, floor_w2: the same between the reference's two halves;
/// samples, floor_samples, lag_frames, lag_ps, chains, features, eigenvalues}), else
/// "tica_skipped" with the reason.
nlohmann::json evaluate_samples(const Energy& energy, const at::Tensor& x, const at::Tensor& e,
                                double temperature, const std::optional<std::string>& reference,
                                const EvaluationOptions& options);

}  // namespace pita
