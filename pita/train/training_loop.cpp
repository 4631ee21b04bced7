#include "pita/train/training_loop.h"

#include <chrono>
#include <cmath>

#include <fmt/format.h>

#include "pita/config/config.h"
#include "pita/core/error.h"
#include "pita/core/run_observer.h"
#include "pita/train/trainer.h"
#include "pita/train/training_log.h"

namespace pita {

int64_t TrainingSchedule::steps_of_stage(int64_t stage) const {
    if (stage < static_cast<int64_t>(stage_steps.size()))
        return stage_steps[static_cast<std::size_t>(stage)];
    return stage == 0 ? first_steps : later_steps;
}

std::vector<int64_t> TrainingSchedule::steps_per_stage(int64_t n_stages) const {
    std::vector<int64_t> steps;
    for (int64_t s = 0; s < n_stages; ++s) steps.push_back(steps_of_stage(s));
    return steps;
}

int64_t TrainingSchedule::step_at_end_of_stage(int64_t stage) const {
    int64_t total = 0;
    for (int64_t s = 0; s <= stage; ++s) total += steps_of_stage(s);
    return total;
}

TrainingSchedule read_training_schedule(const ConfigNode& train, TrainingStages stages,
                                        int64_t n_stages) {
    TrainingSchedule s;
    s.first_steps = train.get_int("steps", s.first_steps, Bounds::at_least(1));
    s.later_steps = s.first_steps;
    if (stages == TrainingStages::Progressive) {
        s.later_steps = train.get_int("steps_after_first", s.first_steps, Bounds::at_least(1));
        // Optional per-stage step counts (the reference's num_epochs_per_temp); they replace
        // steps/steps_after_first when given.
        for (double v : train.get_double_list("stage_steps", {})) {
            if (!(v >= 1) || v != std::floor(v)) {
                train.error("stage_steps",
                            fmt::format("expected positive whole numbers of steps; got {}.", v));
                s.stage_steps.clear();
                break;
            }
            s.stage_steps.push_back(static_cast<int64_t>(v));
        }
        if (!s.stage_steps.empty() && static_cast<int64_t>(s.stage_steps.size()) != n_stages)
            train.error("stage_steps",
                        fmt::format("has {} entries for a ladder of {} temperatures; expected one "
                                    "per training stage ({}).",
                                    s.stage_steps.size(), n_stages + 1, n_stages));
    }
    s.log_every = train.get_int("log_every", s.log_every, Bounds::at_least(1));
    s.checkpoint_every = train.get_int("checkpoint_every", s.checkpoint_every, Bounds::at_least(0));
    return s;
}

bool train_may_change_on_resume(const std::string& key) {
    return key == "output_dir" || key == "threads" || key == "device" || key == "train.steps" ||
           key == "train.log_every" || key == "train.checkpoint_every";
}

LossTerms run_training_loop(Trainer& trainer, const std::vector<ReplayBuffer>& buffers,
                            at::Generator& gen, const TrainingLoopOptions& o, TrainingLog& log,
                            const std::function<void()>& save_checkpoint, RunObserver& observer) {
    const auto start = std::chrono::steady_clock::now();
    auto seconds = [&] {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    };
    const int64_t first_step = trainer.steps();
    int64_t saved_step = first_step;
    LossTerms last;
    while (trainer.steps() < o.until_step) {
        last = trainer.step(buffers, gen);
        const int64_t step = trainer.steps();
        PITA_CHECK_AS(NumericalError, std::isfinite(last.total.item<double>()),
                      "[{}] the loss became {} at step {} (stage {}). Lower train.learning_rate "
                      "or check the training data; the last checkpoint (step {}) is intact.",
                      o.command, last.total.item<double>(), step, o.stage, saved_step);
        if (step % o.log_every == 0 || step == o.until_step) {
            log.append({o.stage, step,
                        buffers[static_cast<std::size_t>(trainer.last_buffer())].temperature(),
                        last, trainer.last_grad_norm(), seconds()});
            observer.progress(o.phase, step - first_step, o.until_step - first_step,
                              loss_summary(last));
        }
        if (o.checkpoint_every > 0 && step % o.checkpoint_every == 0) {
            save_checkpoint();
            saved_step = step;
        }
    }
    save_checkpoint();
    observer.phase_finished(o.phase, last.total.defined() ? loss_summary(last) : "nothing to do");
    return last;
}

}  // namespace pita
