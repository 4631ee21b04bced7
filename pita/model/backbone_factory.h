#pragma once
// Builds the backbone named in a config's `model` section (egnn, mlp or dit), with its options as
// keys of the same section:
//
//   model:
//     backbone: egnn        # egnn | mlp | dit
//     hidden: 32
//     n_layers: 3
//     atom_embedding: false  # egnn and dit: a learned vector per particle index (molecules)
//
// Keys that the chosen backbone does not have are reported by Config::finish(), so switching
// `model.backbone` on the command line flags every option the new backbone would ignore.
#include <cstdint>
#include <memory>

#include <nlohmann/json_fwd.hpp>

#include "pita/config/config.h"
#include "pita/model/backbone.h"

namespace pita {

/// @param model        the `model` section
/// @param n_particles  particles of the target (tokens / graph nodes)
/// @param spatial_dim  coordinates per particle
/// @param init_seed    seeds LibTorch's global generator before the layers are initialised, so
///                     the same seed gives the same initial weights (CPU)
/// Option errors are recorded on `model` and reported by Config::finish(); a backbone that cannot
/// be built at all (e.g. fewer than 2 particles for the EGNN) throws ConfigError.
std::unique_ptr<Backbone> make_backbone(const ConfigNode& model, int64_t n_particles,
                                        int64_t spatial_dim, uint64_t init_seed);

/// Floats of activations one forward pass of the backbone described by `config` (its config())
/// keeps per input row, for the memory estimate (core/memory_estimate.h): the pairwise edge
/// features dominate the EGNN (n² · hidden per layer), the token MLPs and attention maps the DiT.
double backbone_activation_floats(const nlohmann::json& config, int64_t n_particles);

/// `model.sigma_data`: the preconditioning's σ_data (model/preconditioning.h), default 1 (the
/// reference). Set it to the per-coordinate standard deviation of the top-temperature data.
double read_sigma_data(const ConfigNode& model);

/// The number of trainable numbers in `b` (one network).
int64_t count_parameters(const Backbone& b);

}  // namespace pita
