#include "pita/energy/lennard_jones.h"

#include <cmath>
#include <vector>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include "pita/core/error.h"
#include "pita/core/parallel_rows.h"

namespace pita {

LennardJones::LennardJones(LennardJonesParams params) : params_(params) {
    PITA_CHECK(params_.n_particles >= 2,
               "[lennard_jones] n_particles: got {}; expected at least 2.", params_.n_particles);
    PITA_CHECK(params_.spatial_dim >= 1 && params_.spatial_dim <= 3,
               "[lennard_jones] spatial_dim: got {}; expected 1, 2 or 3.", params_.spatial_dim);
    PITA_CHECK(params_.r_min > 0 && params_.epsilon > 0,
               "[lennard_jones] r_min and epsilon must be positive: got r_min={}, epsilon={}.",
               params_.r_min, params_.epsilon);
    PITA_CHECK(params_.regulariser >= 0, "[lennard_jones] regulariser: got {}; expected >= 0.",
               params_.regulariser);
}

nlohmann::json LennardJones::config() const {
    return {{"type", "lennard_jones"},
            {"n_particles", params_.n_particles},
            {"spatial_dim", params_.spatial_dim},
            {"epsilon", params_.epsilon},
            {"r_min", params_.r_min},
            {"energy_factor", params_.energy_factor},
            {"oscillator_scale", params_.oscillator_scale},
            {"regulariser", params_.regulariser}};
}

at::Tensor LennardJones::initial_configurations(int64_t batch, at::Generator& gen) const {
    const int64_t n = params_.n_particles;
    const int64_t d = params_.spatial_dim;
    int64_t side = 1;
    while (static_cast<int64_t>(std::pow(side, d)) < n) ++side;
    const int64_t sites = static_cast<int64_t>(std::pow(side, d));
    at::Tensor grid = at::empty({sites, d}, at::kDouble);
    for (int64_t s = 0; s < sites; ++s) {
        int64_t rest = s;
        for (int64_t k = 0; k < d; ++k) {
            grid[s][k] = static_cast<double>(rest % side) * params_.r_min;
            rest /= side;
        }
    }
    at::Tensor out = at::empty({batch, n, d}, at::kDouble);
    for (int64_t b = 0; b < batch; ++b) {
        const at::Tensor chosen = at::randperm(sites, gen, at::kLong).slice(0, 0, n);
        out[b] = grid.index_select(0, chosen);
    }
    out += 0.05 * params_.r_min * at::randn({batch, n, d}, gen, at::kDouble);
    return out - out.mean(1, true);
}

namespace {
bool use_cpu_kernel(const at::Tensor& x) { return x.device().is_cpu() && !x.requires_grad(); }
}  // namespace

at::Tensor LennardJones::compute_energy(const at::Tensor& x) const {
    return use_cpu_kernel(x) ? cpu_kernel(x, false).energy : tensor_ops(x, false).energy;
}

EnergyAndForce LennardJones::compute_energy_and_force(const at::Tensor& x) const {
    return use_cpu_kernel(x) ? cpu_kernel(x, true) : tensor_ops(x, true);
}

// Pair term per unordered pair, with u = r_m²/r²:  w(u) = 2·f·ε(u⁶ − 2u³), and
// ∂w/∂(r²) = −12·f·ε(u⁶ − u³)/r², so ∇_i w = −24·f·ε(u⁶ − u³)/r² · (x_i − x_j).
EnergyAndForce LennardJones::cpu_kernel(const at::Tensor& x_in, bool want_force) const {
    const at::Tensor x = x_in.to(at::kDouble).contiguous();
    const int64_t batch = x.size(0);
    const int64_t n = params_.n_particles;
    const int64_t d = params_.spatial_dim;
    at::Tensor energy = at::empty({batch}, x.options());
    at::Tensor grad = want_force ? at::empty_like(x) : at::Tensor();
    const double* xp = x.data_ptr<double>();
    double* ep = energy.data_ptr<double>();
    double* gp = want_force ? grad.data_ptr<double>() : nullptr;
    const double rm2 = params_.r_min * params_.r_min;
    const double pair_e = 2.0 * params_.energy_factor * params_.epsilon;
    const double pair_g = -24.0 * params_.energy_factor * params_.epsilon;
    const double osc = params_.oscillator_scale;
    const double reg = params_.regulariser;

    parallel_rows(batch, /*min_chunk=*/16, [&](int64_t begin, int64_t end) {
        for (int64_t b = begin; b < end; ++b) {
            const double* xb = xp + b * n * d;
            double* gb = want_force ? gp + b * n * d : nullptr;
            if (gb != nullptr) std::fill(gb, gb + n * d, 0.0);
            double centroid[3] = {0.0, 0.0, 0.0};
            for (int64_t i = 0; i < n; ++i)
                for (int64_t k = 0; k < d; ++k) centroid[k] += xb[i * d + k];
            for (int64_t k = 0; k < d; ++k) centroid[k] /= static_cast<double>(n);

            double e_pair = 0.0;
            for (int64_t i = 0; i < n; ++i) {
                for (int64_t j = i + 1; j < n; ++j) {
                    double diff[3] = {0.0, 0.0, 0.0};
                    double r2 = reg;
                    for (int64_t k = 0; k < d; ++k) {
                        diff[k] = xb[i * d + k] - xb[j * d + k];
                        r2 += diff[k] * diff[k];
                    }
                    const double u = rm2 / r2;
                    const double u3 = u * u * u;
                    const double u6 = u3 * u3;
                    e_pair += u6 - 2.0 * u3;
                    if (gb != nullptr) {
                        const double c = pair_g * (u6 - u3) / r2;
                        for (int64_t k = 0; k < d; ++k) {
                            gb[i * d + k] += c * diff[k];
                            gb[j * d + k] -= c * diff[k];
                        }
                    }
                }
            }
            double e_osc = 0.0;
            for (int64_t i = 0; i < n; ++i) {
                for (int64_t k = 0; k < d; ++k) {
                    const double c = xb[i * d + k] - centroid[k];
                    e_osc += c * c;
                    if (gb != nullptr) gb[i * d + k] += osc * c;
                }
            }
            ep[b] = pair_e * e_pair + 0.5 * osc * e_osc;
        }
    });
    EnergyAndForce out;
    out.energy = energy.to(x_in.scalar_type());
    if (want_force) out.force = grad.neg_().to(x_in.scalar_type());
    return out;
}

EnergyAndForce LennardJones::tensor_ops(const at::Tensor& x, bool want_force) const {
    const int64_t n = params_.n_particles;
    const at::Tensor pairs = at::triu_indices(n, n, 1, at::TensorOptions().device(x.device()));
    const at::Tensor first = pairs[0];
    const at::Tensor second = pairs[1];
    const at::Tensor diff = x.index_select(1, first) - x.index_select(1, second);  // [B, P, d]
    const at::Tensor r2 = diff.pow(2).sum(-1) + params_.regulariser;
    const at::Tensor u3 = (params_.r_min * params_.r_min / r2).pow(3);
    const at::Tensor u6 = u3 * u3;
    const at::Tensor centred = x - x.mean(1, /*keepdim=*/true);
    EnergyAndForce out;
    out.energy = 2.0 * params_.energy_factor * params_.epsilon * (u6 - 2.0 * u3).sum(-1) +
                 0.5 * params_.oscillator_scale * centred.pow(2).sum({1, 2});
    if (want_force) {
        const at::Tensor coef =
            (-24.0 * params_.energy_factor * params_.epsilon * (u6 - u3) / r2).unsqueeze(-1);
        const at::Tensor pair_grad = coef * diff;  // ∇_i of each pair term; ∇_j is its negative
        at::Tensor grad = params_.oscillator_scale * centred;
        grad = grad.index_add(1, first, pair_grad).index_add(1, second, pair_grad.neg());
        out.force = grad.neg();
    }
    return out;
}

}  // namespace pita
