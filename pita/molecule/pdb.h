#pragma once
// Atoms from a PDB file: positions to start samplers and tests from a structure, and names and
// residues to find backbone torsions and to check a PDB against its System. Bonds are OpenMM's
// business and live in the System XML.
#include <filesystem>
#include <string>
#include <vector>

#include "pita/core/tensor_fwd.h"

namespace pita {

/// Coordinates of the ATOM/HETATM records, in file order (first MODEL only).
/// @return [n_atoms, 3], float64, nm (PDB files store Å)
/// @throws IoError if the file cannot be read or holds no atoms, or a coordinate that is not
///         one finite number (NaN, inf, blank, "1.5abc"); the message names line, atom, value
at::Tensor read_pdb_positions(const std::filesystem::path& path);

/// One ATOM/HETATM record, without its coordinates.
struct PdbAtom {
    std::string name;          ///< e.g. "CA" (columns 13-16, trimmed)
    std::string residue_name;  ///< e.g. "ALA" (columns 18-20, trimmed)
    std::string chain;         ///< column 22, trimmed ("" when blank)
    int residue_number = 0;    ///< columns 23-26
    std::string element;       ///< columns 77-78, trimmed; "" when the file leaves them blank
};

/// The ATOM/HETATM records, in file order (first MODEL only), matching read_pdb_positions().
/// @throws IoError as read_pdb_positions(), or for an unreadable residue number
std::vector<PdbAtom> read_pdb_atoms(const std::filesystem::path& path);

}  // namespace pita
