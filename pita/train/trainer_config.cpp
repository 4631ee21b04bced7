#include "pita/train/trainer_config.h"

#include <fmt/format.h>

namespace pita {
namespace {

double non_negative(const ConfigNode& node, const std::string& key, double fallback) {
    return node.get_double(key, fallback, Bounds::at_least(0));
}

/// A diffusion time in [0, 1].
double unit_time(const ConfigNode& node, const std::string& key, double fallback) {
    return node.get_double(key, fallback, Bounds::between(0, 1));
}

}  // namespace

TrainerOptions read_trainer_options(const ConfigNode& train, const NoiseSchedule& schedule) {
    TrainerOptions o;
    o.batch_size = train.get_int("batch_size", o.batch_size, Bounds::between(1, 1 << 24));
    o.learning_rate = train.get_double("learning_rate", o.learning_rate, Bounds::above(0));
    o.grad_clip = non_negative(train, "grad_clip", o.grad_clip);
    o.clip_per_network =
        train.get_choice("grad_clip_scope", "global", {"global", "per_network"}) == "per_network";
    o.ema_decay = train.get_double("ema_decay", o.ema_decay, Bounds::at_least(0).below(1));
    o.random_rotations = train.get_bool("random_rotations", o.random_rotations);
    o.train_on = train.get_choice("train_on", "all_buffers", {"all_buffers", "newest_buffer"}) ==
                         "newest_buffer"
                     ? TrainOn::NewestBuffer
                     : TrainOn::AllBuffers;

    const ConfigNode l = train.child("losses");
    LossOptions& lo = o.losses;
    lo.weights.score = non_negative(l, "score", lo.weights.score);
    lo.weights.energy_score = non_negative(l, "energy_score", lo.weights.energy_score);
    lo.weights.energy_matching = non_negative(l, "energy_matching", lo.weights.energy_matching);
    lo.weights.target_score = non_negative(l, "target_score", lo.weights.target_score);
    lo.weights.energy_consistency =
        non_negative(l, "energy_consistency", lo.weights.energy_consistency);
    lo.consistency_group =
        l.get_int("consistency_group", lo.consistency_group, Bounds::between(2, 1 << 20));
    if (lo.weights.energy_consistency > 0 && o.batch_size % lo.consistency_group != 0)
        l.error("consistency_group",
                fmt::format("got {}, which does not divide train.batch_size = {}: "
                            "energy_consistency compares rows drawn at one noise level in groups "
                            "of this size. Choose a divisor of the batch size (e.g. 8).",
                            lo.consistency_group, o.batch_size));
    lo.h_min = schedule.h(0.0);
    lo.score_h_threshold = schedule.h(unit_time(l, "score_t_threshold", 0.0));
    lo.tsm_h_threshold = schedule.h(unit_time(l, "target_score_t_threshold", 0.2));
    lo.max_score_norm = l.get_double("max_score_norm", lo.max_score_norm, Bounds::above(0));
    lo.energy_mask = l.get_double("energy_mask", lo.energy_mask);
    lo.tsm_lambda_weight =
        l.get_choice("target_score_weighting", "none", {"none", "lambda"}) == "lambda";
    return o;
}

}  // namespace pita
