#pragma once
// Atom positions from a PDB file: enough to start samplers and tests from a structure. Topology
// (residues, bonds) is OpenMM's business and lives in the System XML.
#include <filesystem>

#include "pita/core/tensor_fwd.h"

namespace pita {

/// Coordinates of the ATOM/HETATM records, in file order (first MODEL only).
/// @return [n_atoms, 3], float64, nm (PDB files store Å)
/// @throws IoError if the file cannot be read or holds no atoms or a malformed coordinate
at::Tensor read_pdb_positions(const std::filesystem::path& path);

}  // namespace pita
