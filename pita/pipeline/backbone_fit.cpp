#include "pita/pipeline/backbone_fit.h"

#include <string>

#include <nlohmann/json.hpp>

#include "pita/energy/energy.h"

namespace pita {

void check_backbone_fits_target(const ConfigNode& model, const nlohmann::json& backbone_config,
                                const Energy& energy) {
    if (energy.molecular_graph() == nullptr) return;
    if (backbone_config.value("type", std::string()) == "egnn" &&
        !backbone_config.value("atom_embedding", false))
        model.error("atom_embedding",
                    "an egnn without atom embeddings treats every atom of the molecule alike "
                    "(it is permutation-equivariant), so it cannot learn a molecule; set "
                    "model.atom_embedding: true, or use backbone dit.");
}

}  // namespace pita
