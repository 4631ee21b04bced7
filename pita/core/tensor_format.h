#pragma once
// How error messages print a tensor's shape: "[2, 13, 3]", or "undefined".
#include <string>

#include "pita/core/tensor_fwd.h"

namespace pita {

std::string shape_of(const at::Tensor& t);

}  // namespace pita
