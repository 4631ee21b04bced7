#pragma once
// The covalent structure of a peptide, for the checks a sampler's output needs beyond its energy
// (PITA-SPEC §7, "Chirality diagnostics"): bonds with their equilibrium lengths (from the
// System's HarmonicBondForce: no constraints, so every bond is there) to find broken ones, and
// the chirality centres with the handedness of the reference structure.
//
// Chirality: a centre is an atom with 4 bonds and more than 2 heavy (non-H) neighbours (the
// reference's rule; in alanine peptides the Cα atoms). Its sign is sign(v1·(v2×v3)) for the
// vectors from the centre to its first three neighbours (by atom index). A configuration with any
// sign unlike the PDB structure's is a mirror image at that centre (a D-amino acid): the
// energy cannot tell enantiomers apart, so only this check does. Mirroring x → −x flips every
// sign: a configuration whose every sign is flipped is the mirror image of an L one and can be
// fixed that way; one with some signs flipped cannot.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "pita/core/tensor_fwd.h"
#include "pita/energy/torsion.h"

namespace pita {

struct Bond {
    int64_t a = 0;
    int64_t b = 0;
    double length = 0;  ///< equilibrium length r0 in the target's coordinates (Molecule: r0/s)
};

struct ChiralCentre {
    int64_t centre = 0;
    std::array<int64_t, 3> neighbours{};  ///< the first three by atom index
    double reference_sign = 1;            ///< +1 or −1: the sign in the reference structure
};

/// Bonds and chirality centres of one molecule, with the atoms' elements and the backbone
/// torsions (the peptide features of TICA, pita/metrics/peptide_features.h, need both).
struct MolecularGraph {
    std::vector<Bond> bonds;
    std::vector<ChiralCentre> chiral_centres;
    /// Per atom: its element symbol ("C", "N", "Cl"), from the PDB's element column or, where
    /// that is blank or unknown, from the particle's mass; "" when neither says.
    std::vector<std::string> elements;
    /// Every backbone torsion φ, ψ, ω (backbone_torsions() of the PDB, pita/molecule/torsions.h).
    std::vector<Torsion> backbone_torsions;
};

/// Finds the chirality centres of `bonds` (atoms with 4 bonds, > 2 heavy neighbours; an atom is
/// heavy when its mass exceeds 1.5 amu) and their signs in `reference_positions`.
/// @param masses               [n_atoms] amu, float64
/// @param reference_positions  [n_atoms, 3], any length unit, float64
MolecularGraph make_molecular_graph(std::vector<Bond> bonds, const at::Tensor& masses,
                                    const at::Tensor& reference_positions);

/// Per sample: the signs at every centre, [N, n_centres] float64 (+1/−1; 0 when degenerate).
/// @param x  [N, n_atoms, 3], any length unit
at::Tensor chirality_signs(const at::Tensor& x, const std::vector<ChiralCentre>& centres);

/// How many samples are L (every sign as the reference's), mirror images (every sign flipped:
/// fixable by x → −x) or mixed (some flipped: not fixable).
struct ChiralityCounts {
    int64_t l_form = 0;
    int64_t mirrored = 0;
    int64_t mixed = 0;
};

/// @param x  [N, n_atoms, 3]
ChiralityCounts count_chirality(const at::Tensor& x, const std::vector<ChiralCentre>& centres);

/// [N] bool: true where every centre has the reference sign (L). With no centres, all true.
at::Tensor is_l_form(const at::Tensor& x, const std::vector<ChiralCentre>& centres);

/// Mirrors (x → −x) the samples whose every sign is flipped, leaving the others as they are.
/// Returns the fixed samples and how many were mirrored. Energies are unchanged by a mirror.
/// @param x  [N, n_atoms, 3]
at::Tensor fix_mirrored(const at::Tensor& x, const std::vector<ChiralCentre>& centres,
                        int64_t* n_fixed = nullptr);

/// [N] bool: true where some bond is longer than `factor` times its equilibrium length.
/// @param x  [N, n_atoms, 3] in the bonds' length unit
at::Tensor has_broken_bond(const at::Tensor& x, const std::vector<Bond>& bonds,
                           double factor = 1.5);

}  // namespace pita
