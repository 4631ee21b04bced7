#pragma once
// Whether the configured backbone can represent the target at all, checked before any work: a
// molecule's atoms are not interchangeable, so a network that treats every particle alike would
// learn a density symmetrised over atom permutations and never produce a molecule.
#include <nlohmann/json_fwd.hpp>

#include "pita/config/config.h"

namespace pita {

class Energy;

/// For a molecule target, an `egnn` backbone needs `model.atom_embedding: true` (the EGNN of the
/// reference is built for identical LJ particles: permutation-equivariant). The problem is
/// recorded on `model` and reported by Config::finish(). Other targets and backbones: no check
/// (the DiT tells atoms apart by their RoPE positions, the MLP by their coordinates' slots).
/// @param backbone_config  the built backbone's config()
void check_backbone_fits_target(const ConfigNode& model, const nlohmann::json& backbone_config,
                                const Energy& energy);

}  // namespace pita
