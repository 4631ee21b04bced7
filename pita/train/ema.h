#pragma once
// Exponential moving average of a network's parameters (spec §4.6): after every optimizer step,
// n ← n+1, d = min(decay, (1+n)/(10+n)), θ̄ ← θ̄ − (1−d)(θ̄ − θ). Sampling uses the averages.
#include "pita/model/backbone.h"

namespace pita {

class Ema {
  public:
    Ema(const Backbone& source, double decay = 0.999);
    void update(const Backbone& source);
    /// Copies the averages into `target` (same architecture).
    void copy_to(Backbone& target) const;
    int64_t updates() const { return updates_; }
    /// Restores averages saved from shadow() and updates() (checkpoint resume).
    /// @throws ConfigError when names or shapes differ from this network's parameters.
    void restore(const NamedTensors& shadow, int64_t updates);
    const NamedTensors& shadow() const { return shadow_; }

  private:
    double decay_;
    int64_t updates_ = 0;
    NamedTensors shadow_;
};

}  // namespace pita
