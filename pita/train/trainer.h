#pragma once
// Joint training of the score and energy models (spec §4.2, §4.6): each step draws a batch from
// a replay buffer, augments it (random rotation, mean-free noise), noises it at h from the
// schedule's training distribution, takes one Adam step on the weighted losses with global
// gradient-norm clipping, and updates both EMAs.
#include <memory>
#include <vector>

#include "pita/model/energy_model.h"
#include "pita/model/score_model.h"
#include "pita/schedule/noise_schedule.h"
#include "pita/train/losses.h"
#include "pita/train/replay_buffer.h"

namespace torch::serialize {
class OutputArchive;
class InputArchive;
}  // namespace torch::serialize

namespace pita {

/// Which buffers a step samples from: all of them, one temperature per step chosen uniformly
/// (LJ recipe, β-conditioned), or only the newest (peptide recipe, fine-tuning).
enum class TrainOn { AllBuffers, NewestBuffer };

struct TrainerOptions {
    int64_t batch_size = 512;
    double learning_rate = 1e-3;
    double grad_clip = 0.5;  ///< max L2 norm of the gradient (see clip_per_network); 0 = off
    /// false (reference): one global norm over both networks. true: each network's gradient is
    /// clipped on its own, so the energy net's large pinning gradients (scaled by 1/σ_min) do not
    /// shrink the score net's step; measured on LJ-13 in docs/RESULTS.md.
    bool clip_per_network = false;
    double ema_decay = 0.999;
    bool random_rotations = true;  ///< applied when the target is 3-D and translation invariant
    TrainOn train_on = TrainOn::AllBuffers;
    LossOptions losses;
};

class Trainer {
  public:
    /// The models must outlive the trainer. `particle_system`: translation-invariant target
    /// (mean-free noise; rotations when spatial_dim is 3).
    Trainer(ScoreModel& score, EnergyModel& energy, NoiseSchedule schedule, TrainerOptions options,
            bool particle_system);
    ~Trainer();

    /// One optimizer step. @return the detached loss terms of that step
    LossTerms step(const std::vector<ReplayBuffer>& buffers, at::Generator& gen);

    /// Copies the EMA weights into other models of the same architecture (for sampling).
    void copy_ema_to(ScoreModel& score, EnergyModel& energy) const;
    int64_t steps() const { return steps_; }
    /// Gradient norm of the last step over both networks, before clipping.
    double last_grad_norm() const { return last_grad_norm_; }
    /// Index of the buffer the last step drew its batch from.
    int64_t last_buffer() const { return last_buffer_; }

    /// Everything the trainer owns or trains: both networks' weights, both EMAs, the Adam state
    /// and the step count (buffers and the generator are saved by save_checkpoint()).
    void save(torch::serialize::OutputArchive& archive) const;
    /// Restores what save() wrote into a trainer built from the same configuration.
    /// @throws ConfigError when the architecture differs.
    void load(torch::serialize::InputArchive& archive);
    /// A warm start from what save() wrote: both networks and their EMAs only. The optimiser's
    /// moments and the step count stay fresh (a new training with other losses or data).
    void load_weights(torch::serialize::InputArchive& archive);

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
    int64_t steps_ = 0;
    double last_grad_norm_ = 0.0;
    int64_t last_buffer_ = 0;
};

}  // namespace pita
