#include "pita/mcmc/mean_free.h"

#include <ATen/ATen.h>

namespace pita {

at::Tensor remove_mean(const at::Tensor& x) { return x - x.mean(1, /*keepdim=*/true); }

}  // namespace pita
