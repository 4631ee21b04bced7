#pragma once
// The relaxation of annealed peptide samples on the true target (issue 14): a short stretch of
// LangevinMiddle MD per sample at the new temperature, from Maxwell–Boltzmann velocities. It
// equilibrates the fast degrees of freedom (bond lengths and angles the networks get slightly
// wrong) in a picosecond, but cannot carry a sample across the φ barrier of an alanine residue at
// 300 K (transitions take nanoseconds): the populations of the metastable states stay what the
// networks and the SMC weights made them. tests/statistical checks that claim.
#include <cstdint>

#include <nlohmann/json.hpp>

#include "pita/anneal/end_of_trajectory.h"
#include "pita/core/tensor_fwd.h"

namespace pita {

class Molecule;

struct MdRelaxationOptions {
    double duration_ps = 1.0;
    double step_size_ps = 0.001;
    double friction = 10.0;  ///< 1/ps: AnnealStageOptions::relax_md_friction says why
};

/// Runs every sample of `x` ([N, n_atoms, 3] the molecule's model coordinates) for
/// duration/step_size steps at `temperature` K. Samples whose MD blows up (a non-finite state, or
/// a bond the dynamics broke: a clash the integrator cannot resolve) are returned unchanged with
/// their energy at the start, and counted.
/// Energies are the molecule's (kJ/mol / (R·1 K)); evaluations: (steps + 1) per sample.
/// @return x mean-free, in model coordinates; acceptance is the fraction of samples kept from MD
RelaxationResult relax_by_md(const Molecule& molecule, double temperature, const at::Tensor& x,
                             const MdRelaxationOptions& options, at::Generator& gen,
                             int64_t* reverted = nullptr);

/// {"method": "md", "ps", "step_size_ps", "friction", "steps"} for anneal.json.
nlohmann::json describe(const MdRelaxationOptions& options);

}  // namespace pita
