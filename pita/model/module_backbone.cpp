#include "pita/model/module_backbone.h"

#include <torch/torch.h>

#include "pita/core/error.h"

namespace pita {

NamedTensors ModuleBackbone::named_parameters() const {
    NamedTensors out;
    for (const auto& item : module().named_parameters()) out.emplace_back(item.key(), item.value());
    return out;
}

void ModuleBackbone::to(c10::Device device, c10::ScalarType dtype) { module().to(device, dtype); }

void ModuleBackbone::train(bool on) { module().train(on); }

void ModuleBackbone::copy_parameters_into(ModuleBackbone& copy) const {
    torch::NoGradGuard no_grad;
    const auto from = module().parameters();
    PITA_ASSERT(!from.empty(), "{} clone: no parameters", name());
    torch::nn::Module& dst = copy.module();
    dst.to(from.front().device(), from.front().scalar_type());
    const auto to = dst.parameters();
    PITA_ASSERT(from.size() == to.size(), "{} clone: {} vs {} parameters", name(), from.size(),
                to.size());
    for (std::size_t i = 0; i < from.size(); ++i) to[i].copy_(from[i]);
    dst.train(module().is_training());
}

}  // namespace pita
