#pragma once
// Multi-model PDB trajectories: one MODEL per frame, for viewers and tools that want a single
// self-describing text file (mdtraj.load, PyMOL, VMD). Text, 3 decimals in Å: for long runs or
// exact coordinates use the DCD writer (pita/io/trajectory.h) with a one-model PDB as topology.
#include <filesystem>
#include <vector>

#include "pita/core/tensor_fwd.h"
#include "pita/molecule/pdb.h"

namespace pita {

/// Writes `frames_nm` as MODEL 1 … n_frames, each with one ATOM record per atom (serial,
/// name, residue, chain, element from `atoms`; occupancy 1, B-factor 0), then END. Written to a
/// tmp file and renamed (write_file_atomically). CONECT and CRYST1 records are not written.
/// @param atoms      the atoms in frame order, e.g. from read_pdb_atoms(); names of at most 4
///                   characters, residue names of at most 4, chains of at most 1, residue
///                   numbers in -999 … 9999, at most 99999 atoms
/// @param frames_nm  [n_frames, n_atoms, 3] or [n_atoms, 3]; float32 or float64, nm;
///                   1 to 9999 frames; every coordinate in -999.999 … 9999.999 Å (the %8.3f
///                   field)
/// @throws ConfigError for atoms or frames the format cannot hold (as checked_frames_angstrom(),
///         or a coordinate outside the field, naming frame and atom); IoError if the file cannot
///         be written
void write_pdb_models(const std::filesystem::path& path, const std::vector<PdbAtom>& atoms,
                      const at::Tensor& frames_nm);

}  // namespace pita
