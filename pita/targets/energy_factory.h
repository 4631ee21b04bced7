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
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "pita/config/config.h"
#include "pita/energy/energy.h"

namespace pita {

std::unique_ptr<Energy> make_energy(const ConfigNode& node);

/// The target a run directory's run.json records: its resolved `config.energy` (pita mcmc, run,
/// md), or `energy` (pita anneal, whose config names only a checkpoint). Relative file paths in it
/// (a molecule's system and pdb) are taken from the current directory, as the run took them.
/// @param where  the run directory, for messages
/// @throws IoError when the record names no target; ConfigError when its section is invalid
std::unique_ptr<Energy> make_energy_of_run(const nlohmann::json& record, const std::string& where);

}  // namespace pita
