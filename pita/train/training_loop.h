#pragma once
// The training loop that `pita train` and every stage of `pita run` share: optimizer steps up to a
// target step count, the loss curve logged every `log_every` steps (and at the last one),
// checkpoints every `checkpoint_every` steps and at the end, progress reported to an observer, and
// a non-finite loss stopped at once (the last checkpoint is left intact). Also reads the step
// counts of a `train:` section.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "pita/core/tensor_fwd.h"
#include "pita/train/losses.h"
#include "pita/train/replay_buffer.h"

namespace pita {

class ConfigNode;
class RunObserver;
class Trainer;
class TrainingLog;

/// How long each stage trains, and how often it logs and checkpoints.
///   train:
///     steps: 2000              # the first stage (the only one for `pita train`)
///     steps_after_first: 2000  # each later stage (`pita run`; default: steps)
///     stage_steps: [..]        # per stage, replacing both (`pita run`; one per training stage)
///     log_every: 10            # losses.csv rows
///     checkpoint_every: 500    # 0: only at the end of a stage
struct TrainingSchedule {
    int64_t first_steps = 2000;
    int64_t later_steps = 2000;
    std::vector<int64_t> stage_steps;  ///< empty, or one entry per stage
    int64_t log_every = 10;
    int64_t checkpoint_every = 500;

    /// Optimizer steps of stage `stage` (0-based).
    int64_t steps_of_stage(int64_t stage) const;
    /// steps_of_stage() of stages 0..n_stages−1.
    std::vector<int64_t> steps_per_stage(int64_t n_stages) const;
    /// The trainer's step count at the end of stage `stage`: the sum of stages 0..stage.
    int64_t step_at_end_of_stage(int64_t stage) const;
};

/// Which keys a command's `train:` section accepts for its schedule.
enum class TrainingStages {
    One,          ///< `pita train`: steps, log_every, checkpoint_every
    Progressive,  ///< `pita run`: also steps_after_first and stage_steps (for `n_stages` stages)
};

/// Reads the schedule keys of `train` (range-checked; problems are recorded on the node and
/// reported by Config::finish()). `n_stages` is the number of training stages (ladder size − 1),
/// which stage_steps must match.
TrainingSchedule read_training_schedule(const ConfigNode& train, TrainingStages stages,
                                        int64_t n_stages = 1);

/// Keys (dotted, of the resolved config) a resumed `pita train` may change: where and how fast
/// it runs, and how long it trains (a finished run is extended by resuming it with more steps).
bool train_may_change_on_resume(const std::string& key);

struct TrainingLoopOptions {
    std::string command = "train";  ///< names the command in messages ("[run] ...")
    int64_t stage = 0;              ///< the stage column of losses.csv
    int64_t until_step = 0;         ///< train until trainer.steps() reaches this
    int64_t log_every = 10;
    int64_t checkpoint_every = 500;  ///< 0: only at the end
    std::string phase = "train";     ///< the observer's phase name
};

/// Steps `trainer` on `buffers` until trainer.steps() == options.until_step (nothing if it is
/// already there), logging to `log` and calling `save_checkpoint` every checkpoint_every steps and
/// once at the end. Progress goes to `observer` as steps done in this call of the total this call
/// needs. wall_s in the log counts from the start of this call.
/// @return the losses of the last step (undefined when no step was needed)
/// @throws NumericalError when a loss is not finite, naming the step and the last checkpoint
LossTerms run_training_loop(Trainer& trainer, const std::vector<ReplayBuffer>& buffers,
                            at::Generator& gen, const TrainingLoopOptions& options,
                            TrainingLog& log, const std::function<void()>& save_checkpoint,
                            RunObserver& observer);

}  // namespace pita
