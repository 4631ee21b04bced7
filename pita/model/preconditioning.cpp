#include "pita/model/preconditioning.h"

#include <ATen/ATen.h>

namespace pita {

at::Tensor per_row(const at::Tensor& v, int64_t batch) {
    return v.dim() == 0 ? v.expand({batch}) : v;
}

Preconditioning precondition(const at::Tensor& h_in, int64_t batch, double sigma_data) {
    const at::Tensor h = per_row(h_in, batch);
    const at::Tensor h3 = h.view({-1, 1, 1});
    const double s = sigma_data * sigma_data;
    Preconditioning p;
    p.c_skip = s / (s + h3);
    p.c_in = (s + h3).rsqrt();
    p.c_out = (h3 * s).sqrt() * p.c_in;
    p.c_noise = h.log() / 8.0;
    return p;
}

}  // namespace pita
