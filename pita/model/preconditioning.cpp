#include "pita/model/preconditioning.h"

#include <ATen/ATen.h>

namespace pita {

Preconditioning precondition(const at::Tensor& h_in, int64_t batch) {
    const at::Tensor h = h_in.dim() == 0 ? h_in.expand({batch}) : h_in;
    const at::Tensor h3 = h.view({-1, 1, 1});
    Preconditioning p;
    p.c_skip = 1.0 / (1.0 + h3);
    p.c_in = (1.0 + h3).rsqrt();
    p.c_out = h3.sqrt() * p.c_in;
    p.c_noise = h.log() / 8.0;
    return p;
}

}  // namespace pita
