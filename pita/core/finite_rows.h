#pragma once
// Row-wise finiteness checks shared by everything that takes a batch of samples from outside
// (datasets, replay buffers): which rows are usable, and how to name the bad ones in a message.
#include <cstdint>
#include <initializer_list>

#include "pita/core/tensor_fwd.h"

namespace pita {

/// [m] bool: true where row i of every tensor is entirely finite. The tensors share their first
/// dimension m and may have any rank (1 = one value per row).
at::Tensor finite_rows(std::initializer_list<at::Tensor> tensors);

/// Rows where `ok` is false: how many, and the first of them (-1 when there is none).
struct RowFailures {
    int64_t count = 0;
    int64_t first = -1;
};
RowFailures failing_rows(const at::Tensor& ok);

}  // namespace pita
