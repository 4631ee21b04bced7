#include "pita/train/ema.h"

#include <algorithm>

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include "pita/core/error.h"

namespace pita {

Ema::Ema(const Backbone& source, double decay) : decay_(decay) {
    at::NoGradGuard no_grad;
    for (const auto& [name, p] : source.named_parameters())
        shadow_.emplace_back(name, p.detach().clone());
}

void Ema::update(const Backbone& source) {
    at::NoGradGuard no_grad;
    ++updates_;
    const double n = static_cast<double>(updates_);
    const double d = std::min(decay_, (1.0 + n) / (10.0 + n));
    const NamedTensors params = source.named_parameters();
    PITA_ASSERT(params.size() == shadow_.size(), "EMA and network disagree on parameter count");
    for (std::size_t i = 0; i < params.size(); ++i) {
        shadow_[i].second.sub_((1.0 - d) * (shadow_[i].second - params[i].second.detach()));
    }
}

void Ema::copy_to(Backbone& target) const {
    at::NoGradGuard no_grad;
    const NamedTensors params = target.named_parameters();
    PITA_ASSERT(params.size() == shadow_.size(), "EMA and network disagree on parameter count");
    for (std::size_t i = 0; i < params.size(); ++i) params[i].second.copy_(shadow_[i].second);
}

}  // namespace pita
