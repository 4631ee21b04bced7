#pragma once
// The cheap way to name tensors in a header (~0.6 s per translation unit, against ~15 s for
// <torch/torch.h>). Source files that do tensor math include <ATen/core/Tensor.h> and the per-op
// headers they use.
#include <ATen/core/ATen_fwd.h>
#include <c10/core/Device.h>
#include <c10/core/ScalarType.h>
