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

void Ema::restore(const NamedTensors& shadow, int64_t updates) {
    at::NoGradGuard no_grad;
    PITA_CHECK(shadow.size() == shadow_.size(),
               "[ema] checkpoint has {} averaged tensors; the network has {}. Was it written by "
               "another model configuration?",
               shadow.size(), shadow_.size());
    for (std::size_t i = 0; i < shadow.size(); ++i) {
        PITA_CHECK(shadow[i].first == shadow_[i].first &&
                       shadow[i].second.sizes() == shadow_[i].second.sizes(),
                   "[ema] checkpoint tensor '{}' [{}] does not match the network's '{}' [{}].",
                   shadow[i].first, fmt::join(shadow[i].second.sizes(), ", "), shadow_[i].first,
                   fmt::join(shadow_[i].second.sizes(), ", "));
        shadow_[i].second.copy_(shadow[i].second);
    }
    updates_ = updates;
}

void Ema::copy_to(Backbone& target) const {
    at::NoGradGuard no_grad;
    const NamedTensors params = target.named_parameters();
    PITA_ASSERT(params.size() == shadow_.size(), "EMA and network disagree on parameter count");
    for (std::size_t i = 0; i < params.size(); ++i) params[i].second.copy_(shadow_[i].second);
}

}  // namespace pita
