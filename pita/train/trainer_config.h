#pragma once
// TrainerOptions from a config's `train` section (defaults: the reference LJ-13 recipe, spec §4
// and Appendix A):
//
//   train:
//     batch_size: 512
//     learning_rate: 1.0e-3
//     grad_clip: 0.5              # global L2 norm; 0 = off
//     ema_decay: 0.999
//     random_rotations: true
//     train_on: all_buffers       # all_buffers (β-conditioned, LJ) | newest_buffer (peptides)
//     losses:
//       score: 1                  # loss weights
//       energy_score: 1
//       energy_matching: 1
//       target_score: 0
//       score_t_threshold: 0.0    # DSM off below h(t); the reference's h(0) = σ_min²
//       target_score_t_threshold: 0.2
//       max_score_norm: 1000
//       energy_mask: 1000
//       energy_consistency: 0     # not in the reference: heat-equation residual of U (losses.h)
//       consistency_group: 8      # rows per shared noise level for it; divides batch_size
#include "pita/config/config.h"
#include "pita/schedule/noise_schedule.h"
#include "pita/train/trainer.h"

namespace pita {

/// Thresholds given as diffusion times are turned into noise variances with `schedule`; the
/// energy-matching noise level is h(0) = σ_min². Bad values are recorded on `train` and reported
/// by Config::finish().
TrainerOptions read_trainer_options(const ConfigNode& train, const NoiseSchedule& schedule);

}  // namespace pita
