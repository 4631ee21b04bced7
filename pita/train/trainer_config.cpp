#include "pita/train/trainer_config.h"

#include <cmath>

#include <fmt/format.h>

namespace pita {
namespace {

double non_negative(const ConfigNode& node, const std::string& key, double fallback) {
    const double v = node.get_double(key, fallback);
    if (!(std::isfinite(v) && v >= 0))
        node.error(key, fmt::format("out of range: got {}; expected a finite number >= 0.", v));
    return v;
}

double unit_time(const ConfigNode& node, const std::string& key, double fallback) {
    const double t = node.get_double(key, fallback);
    if (!(t >= 0 && t <= 1))
        node.error(key,
                   fmt::format("out of range: got {}; expected a diffusion time in [0, 1].", t));
    return t;
}

}  // namespace

TrainerOptions read_trainer_options(const ConfigNode& train, const NoiseSchedule& schedule) {
    TrainerOptions o;
    o.batch_size = train.get_int("batch_size", o.batch_size);
    if (o.batch_size < 1)
        train.error("batch_size",
                    fmt::format("out of range: got {}; expected >= 1.", o.batch_size));
    o.learning_rate = train.get_double("learning_rate", o.learning_rate);
    if (!(o.learning_rate > 0))
        train.error("learning_rate",
                    fmt::format("out of range: got {}; expected > 0.", o.learning_rate));
    o.grad_clip = non_negative(train, "grad_clip", o.grad_clip);
    o.clip_per_network =
        train.get_choice("grad_clip_scope", "global", {"global", "per_network"}) == "per_network";
    o.ema_decay = train.get_double("ema_decay", o.ema_decay);
    if (!(o.ema_decay >= 0 && o.ema_decay < 1))
        train.error("ema_decay",
                    fmt::format("out of range: got {}; expected [0, 1).", o.ema_decay));
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
    lo.h_min = schedule.h(0.0);
    lo.score_h_threshold = schedule.h(unit_time(l, "score_t_threshold", 0.0));
    lo.tsm_h_threshold = schedule.h(unit_time(l, "target_score_t_threshold", 0.2));
    lo.max_score_norm = l.get_double("max_score_norm", lo.max_score_norm);
    if (!(lo.max_score_norm > 0))
        l.error("max_score_norm",
                fmt::format("out of range: got {}; expected > 0.", lo.max_score_norm));
    lo.energy_mask = l.get_double("energy_mask", lo.energy_mask);
    lo.tsm_lambda_weight =
        l.get_choice("target_score_weighting", "none", {"none", "lambda"}) == "lambda";
    return o;
}

}  // namespace pita
