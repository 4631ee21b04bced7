#pragma once
// The backbones of the benchmark cases, built by the library's own factory with its defaults
// (the reference sizes: EGNN 32×3, DiT 192/64/6 blocks/6 heads) and initialisation seed 0.
#include <memory>
#include <string>

#include "pita/config/config.h"
#include "pita/model/backbone_factory.h"

namespace pita::bench {

/// @param case_name  "egnn_lj13" (EGNN) or "dit_aldp22" (DiT), the names the PyTorch ports use
inline std::unique_ptr<Backbone> case_backbone(const std::string& case_name, int64_t n_particles) {
    const std::string kind = case_name == "egnn_lj13" ? "egnn" : "dit";
    const Config cfg = Config::from_string("model: {backbone: " + kind + "}");
    return make_backbone(cfg.root().child("model"), n_particles, 3, /*init_seed=*/0);
}

}  // namespace pita::bench
