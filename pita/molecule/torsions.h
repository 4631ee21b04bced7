#pragma once
// Backbone torsions of a peptide (φ, ψ, ω) found from the PDB topology, and a batched dihedral
// angle, for Ramachandran plots and torsion-space metrics of peptide samples.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "pita/core/tensor_fwd.h"
#include "pita/energy/torsion.h"
#include "pita/molecule/pdb.h"

namespace pita {

/// The backbone torsions, residue by residue (consecutive residues of one chain, in file order):
///   φ_i = C(i−1)–N(i)–CA(i)–C(i),  ψ_i = N(i)–CA(i)–C(i)–N(i+1),
///   ω_i = CA(i)–C(i)–N(i+1)–CA(i+1),
/// each where all four atoms exist. φ and ψ belong to amino-acid residues (with N, CA and C);
/// caps take part through their atoms: ACE contributes its carbonyl C (and CH3 in place of CA
/// for ω), NME/NHE its N (and its methyl carbon, "C" or "CH3", in place of CA for ω). So ALDP
/// (ACE-ALA-NME) has φ ALA2, ψ ALA2, ω ACE1-ALA2 and ω ALA2-NME3; zwitterionic AAA has φ of
/// residues 2-3, ψ of 1-2 and ω 1-2, 2-3.
/// Order: all φ, then all ψ, then all ω, each by residue.
std::vector<Torsion> backbone_torsions(const std::vector<PdbAtom>& atoms);

/// Only the torsions of one kind ("phi", "psi" or "omega").
std::vector<Torsion> torsions_of_kind(const std::vector<Torsion>& torsions,
                                      const std::string& kind);

/// The Ramachandran set the reference's metrics use (spec §7): all φ, then all ψ (no ω).
std::vector<Torsion> ramachandran_torsions(const std::vector<PdbAtom>& atoms);

/// Atom quadruples as a tensor, for dihedral_angles(). [n_torsions, 4], int64.
at::Tensor torsion_atoms(const std::vector<Torsion>& torsions);

/// Dihedral angles a–b–c–d in radians in [−π, π], IUPAC sign convention (as OpenMM): positive
/// when, looking along b→c, the bond to a turns clockwise by less than 180° to eclipse the bond
/// to d. Batched over configurations; any length unit; differentiable (autograd).
/// @param x      [batch, n_atoms, 3] (or [n_atoms, 3]), float32/float64, any device
/// @param atoms  [n_torsions, 4], int64 indices into the atoms
/// @return       [batch, n_torsions] (or [n_torsions]), x's dtype and device
/// @throws ConfigError for a bad shape or an index out of range
at::Tensor dihedral_angles(const at::Tensor& x, const at::Tensor& atoms);

/// The dihedral angle of the bond vectors b1 = b − a, b2 = c − b, b3 = d − c (any matching
/// shapes [..., 3]), same convention as dihedral_angles(); unchecked. The one formula behind
/// dihedral_angles() and the PeriodicTorsionForce term of the force field.
at::Tensor dihedral_of_bonds(const at::Tensor& b1, const at::Tensor& b2, const at::Tensor& b3);

}  // namespace pita
