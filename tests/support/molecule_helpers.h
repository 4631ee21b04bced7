#pragma once
// The peptide files tests load: data/molecules/<name>.{system.xml,pdb} (OpenMM builds only).
#include <string>

#include "pita/molecule/molecule.h"

namespace pita::testing {

/// MoleculeParams of data/molecules/<name> (aldp, aaa, aaaa), other fields at their defaults.
inline MoleculeParams molecule_params(const std::string& name) {
    MoleculeParams p;
    p.system = std::string(PITA_SOURCE_DIR) + "/data/molecules/" + name + ".system.xml";
    p.pdb = std::string(PITA_SOURCE_DIR) + "/data/molecules/" + name + ".pdb";
    return p;
}

}  // namespace pita::testing
