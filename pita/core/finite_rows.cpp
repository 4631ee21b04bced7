#include "pita/core/finite_rows.h"

#include <ATen/ATen.h>

namespace pita {

at::Tensor finite_rows(std::initializer_list<at::Tensor> tensors) {
    at::Tensor ok;
    for (const at::Tensor& t : tensors) {
        const at::Tensor row_ok =
            t.dim() == 1 ? at::isfinite(t) : at::isfinite(t).flatten(1).all(1);
        ok = ok.defined() ? ok & row_ok : row_ok;
    }
    return ok;
}

RowFailures failing_rows(const at::Tensor& ok) {
    const at::Tensor bad = ~ok;
    RowFailures f;
    f.count = bad.sum().item<int64_t>();
    if (f.count > 0) f.first = bad.nonzero()[0][0].item<int64_t>();
    return f;
}

}  // namespace pita
