#pragma once
// The features TICA sees of a peptide (issue 14; PITA-SPEC §7, "TICA"), as the reference's
// components/tica.py defines them: over the atoms whose element is C, N or S, every pairwise
// distance, plus sin and cos of every backbone torsion φ, ψ, ω. Distances see the heavy-atom
// shape; sin/cos give the torsions without their 2π jump. Hydrogens and oxygens are left out as
// in the reference (their positions follow from the heavy backbone's).
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "pita/core/tensor_fwd.h"

namespace pita {

/// Which atoms and torsions make the features.
struct PeptideFeatureSpec {
    std::vector<int64_t> atoms;                    ///< indices of the C, N and S atoms
    std::vector<std::array<int64_t, 4>> torsions;  ///< φ, ψ, ω atom quadruples
    /// P·(P − 1)/2 distances for P atoms, plus 2 per torsion.
    int64_t size() const;
};

/// The indices of the atoms whose element is C, N or S (case-insensitive), in order.
std::vector<int64_t> tica_feature_atoms(const std::vector<std::string>& elements);

/// The features of each configuration, distances first (pairs (i, j), i < j, in the order of
/// spec.atoms, row by row), then sin θ, cos θ per torsion. Distances are in the coordinates'
/// unit: TICA does not care (its components are invariant to any invertible linear map of the
/// features, a change of unit included).
/// @param x  [N, n_atoms, 3], any float dtype; CPU
/// @return   [N, spec.size()], float64
/// @throws ConfigError for a bad shape, an atom index out of range or an empty spec
at::Tensor peptide_features(const at::Tensor& x, const PeptideFeatureSpec& spec);

}  // namespace pita
