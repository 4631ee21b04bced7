#pragma once
// Small helpers shared by the test suites: finite differences, grids, error messages.
#include <functional>
#include <string>

#include <ATen/ATen.h>

#include "pita/core/error.h"

namespace pita::testing {

inline const at::TensorOptions kF64 = at::TensorOptions().dtype(at::kDouble);

/// The largest absolute entry of a tensor.
inline double max_abs(const at::Tensor& t) { return t.abs().max().item<double>(); }

/// A 0-d float64 tensor, the form NoisedDensity takes for one noise level.
inline at::Tensor scalar_h(double h) { return at::scalar_tensor(h, kF64); }

/// A regular 2-D grid of points [n·n, 2] covering [lo, hi]², spacing `step`.
inline at::Tensor grid_points(double lo, double hi, double step) {
    const at::Tensor axis = at::arange(lo, hi + 0.5 * step, step, kF64);
    const auto mesh = at::meshgrid({axis, axis}, "ij");
    return at::stack({mesh[0].reshape(-1), mesh[1].reshape(-1)}, 1);
}

/// Central differences of a per-row scalar function f: [B, D] -> [B], divided by the step
/// actually taken (x ± eps is not exact in binary).
inline at::Tensor fd_gradient(const std::function<at::Tensor(const at::Tensor&)>& f,
                              const at::Tensor& x, double eps) {
    at::Tensor g = at::zeros_like(x);
    for (int64_t j = 0; j < x.size(1); ++j) {
        at::Tensor xp = x.clone();
        at::Tensor xm = x.clone();
        xp.select(1, j).add_(eps);
        xm.select(1, j).sub_(eps);
        g.select(1, j).copy_((f(xp) - f(xm)) / (xp.select(1, j) - xm.select(1, j)));
    }
    return g;
}

/// The message of the ConfigError that f throws, or a marker string when it throws none.
template <typename F>
std::string error_message(F&& f) {
    try {
        f();
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "(no ConfigError thrown)";
}

}  // namespace pita::testing
