#pragma once
// Builds a target from its config section, keyed on `type` (spec-faithful defaults). It builds
// the analytic targets of pita/energy/ and, with OpenMM, the peptides of pita/molecule/, so it
// sits in a folder above both:
//   energy: {type: lennard_jones, n_particles: 13}
//   energy: {type: double_well}                 # DW-4
//   energy: {type: gmm}                         # the 40-mode 2-D mixture of spec §1.5
//   energy: {type: gaussian, n_particles: 1, spatial_dim: 2, variance: 1.0}
//   energy: {type: molecule, system: data/molecules/aldp.system.xml, pdb: data/molecules/aldp.pdb}
//     (pita/molecule/molecule.h; energies in k_B·1 K, so a ladder in kelvin gives log p in kT)
#include <memory>

#include "pita/config/config.h"
#include "pita/energy/energy.h"

namespace pita {

std::unique_ptr<Energy> make_energy(const ConfigNode& node);

}  // namespace pita
