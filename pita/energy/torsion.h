#pragma once
// A named dihedral of a target's particles: what Energy::ramachandran_torsions() returns and what
// pita/molecule/torsions.h finds from a peptide's topology.
#include <array>
#include <cstdint>
#include <string>

namespace pita {

/// One dihedral: its four atoms (0-based indices into the PDB's atoms) and a name such as
/// "phi ALA2", "psi ALA2" or "omega ACE1-ALA2".
struct Torsion {
    std::string name;
    std::string kind;  ///< "phi", "psi" or "omega"
    std::array<int64_t, 4> atoms{};
};

}  // namespace pita
