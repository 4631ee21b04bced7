#pragma once
// The backbones of the benchmark cases, built by the library's own factory with its defaults
// (the reference sizes: EGNN 32×3, DiT 192/64/6 blocks/6 heads) and initialisation seed 0.
#include <memory>
#include <string>

#include "pita/config/config.h"
#include "pita/model/backbone_factory.h"

namespace pita::bench {

/// @param case_name  "egnn_lj13" (EGNN), "dit_aldp22" (DiT) or "dit_aldp_cpu…" (configs/aldp.yaml's
///                   DiT), the names the PyTorch ports use
inline std::unique_ptr<Backbone> case_backbone(const std::string& case_name, int64_t n_particles) {
    // dit_aldp_cpu*: configs/aldp.yaml's model section.
    const std::string model = case_name == "egnn_lj13" ? "{backbone: egnn}"
                              : case_name.rfind("dit_aldp_cpu", 0) == 0
                                  ? "{backbone: dit, hidden: 64, cond_dim: 32, "
                                    "n_blocks: 3, n_heads: 4, mlp_ratio: 2, "
                                    "dropout: 0, condition_on_temperature: false, "
                                    "atom_embedding: true}"
                                  : "{backbone: dit}";
    const Config cfg = Config::from_string("model: " + model);
    return make_backbone(cfg.root().child("model"), n_particles, 3, /*init_seed=*/0);
}

}  // namespace pita::bench
