#pragma once
// Internal to the backbones' .cpp files (it includes <torch/torch.h>; never include it from a
// public header): the deep copy behind every Backbone::clone().
#include <torch/torch.h>

#include "pita/core/error.h"

namespace pita::detail {

/// Gives `dst` (a freshly built module of the same architecture) the device, dtype, parameter
/// values and training mode of `src`. Buffers are not copied: the backbones have none.
inline void copy_module_into(const torch::nn::Module& src, torch::nn::Module& dst,
                             const char* backbone) {
    torch::NoGradGuard no_grad;
    const auto from = src.parameters();
    PITA_ASSERT(!from.empty(), "{} clone: no parameters", backbone);
    dst.to(from.front().device(), from.front().scalar_type());
    const auto to = dst.parameters();
    PITA_ASSERT(from.size() == to.size(), "{} clone: {} vs {} parameters", backbone, from.size(),
                to.size());
    for (std::size_t i = 0; i < from.size(); ++i) to[i].copy_(from[i]);
    dst.train(src.is_training());
}

}  // namespace pita::detail
