#include "pita/core/tensor_format.h"

#include <ATen/core/Tensor.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

namespace pita {

std::string shape_of(const at::Tensor& t) {
    return t.defined() ? fmt::format("[{}]", fmt::join(t.sizes(), ", ")) : "undefined";
}

}  // namespace pita
