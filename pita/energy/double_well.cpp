#include "pita/energy/double_well.h"

#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include "pita/core/error.h"

namespace pita {

DoubleWell::DoubleWell(DoubleWellParams params) : params_(params) {
    std::vector<std::string> issues;
    if (params_.n_particles < 2) {
        issues.push_back(fmt::format("n_particles: got {}; expected >= 2 (it is a pair potential).",
                                     params_.n_particles));
    }
    if (params_.spatial_dim < 1) {
        issues.push_back(fmt::format("spatial_dim: got {}; expected >= 1.", params_.spatial_dim));
    }
    if (!(std::isfinite(params_.tau) && params_.tau > 0)) {
        issues.push_back(fmt::format("tau: got {}; expected a finite value > 0.", params_.tau));
    }
    if (!(std::isfinite(params_.regulariser) && params_.regulariser >= 0)) {
        issues.push_back(
            fmt::format("regulariser: got {}; expected a finite value >= 0.", params_.regulariser));
    }
    for (const auto& [key, value] : {std::pair<const char*, double>{"a", params_.a},
                                     {"b", params_.b},
                                     {"c", params_.c},
                                     {"d0", params_.d0}}) {
        if (!std::isfinite(value))
            issues.push_back(fmt::format("{}: got {}; expected finite.", key, value));
    }
    PITA_CHECK(issues.empty(), "[double_well] invalid parameters: {}", fmt::join(issues, " "));
}

nlohmann::json DoubleWell::config() const {
    return {{"type", "double_well"},
            {"n_particles", params_.n_particles},
            {"spatial_dim", params_.spatial_dim},
            {"a", params_.a},
            {"b", params_.b},
            {"c", params_.c},
            {"d0", params_.d0},
            {"tau", params_.tau},
            {"regulariser", params_.regulariser}};
}

at::Tensor DoubleWell::compute_energy(const at::Tensor& x) const {
    return evaluate(x, false).energy;
}

EnergyAndForce DoubleWell::compute_energy_and_force(const at::Tensor& x) const {
    return evaluate(x, true);
}

// Works on the P = n(n−1)/2 unordered pairs only, so there is no diagonal to mask and memory is
// half that of an [n, n] distance matrix.
EnergyAndForce DoubleWell::evaluate(const at::Tensor& x, bool want_force) const {
    const int64_t n = params_.n_particles;
    const at::Tensor pairs = at::triu_indices(
        n, n, /*offset=*/1, at::TensorOptions().dtype(at::kLong).device(x.device()));
    const at::Tensor first = pairs[0];
    const at::Tensor second = pairs[1];
    const at::Tensor diff = x.index_select(1, first) - x.index_select(1, second);  // [B, P, s]
    const at::Tensor dist = (diff.square().sum(-1) + params_.regulariser).sqrt();  // [B, P]
    const at::Tensor u = dist - params_.d0;
    const at::Tensor u2 = u.square();
    const double inv_tau = 1.0 / params_.tau;
    const at::Tensor energy =
        (params_.a * u + params_.b * u2 + params_.c * u2.square()).sum(1) * inv_tau;
    if (!want_force) return {energy, at::Tensor()};

    // ∂E/∂x_i = E'(d)·(x_i − x_j)/d for pair (i, j) and the opposite for x_j; the regulariser does
    // not change ∂d/∂x, since d² − |x_i − x_j|² is constant.
    const at::Tensor de_dd = (params_.a + 2.0 * params_.b * u + 4.0 * params_.c * u * u2) * inv_tau;
    const at::Tensor pair_grad = (de_dd / dist).unsqueeze(-1) * diff;  // [B, P, s], ∂E/∂x_i
    at::Tensor force = at::zeros_like(x);
    force.index_add_(1, first, pair_grad, /*alpha=*/-1.0);
    force.index_add_(1, second, pair_grad);
    return {energy, force};
}

}  // namespace pita
