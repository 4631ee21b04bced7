#include "pita/mcmc/mala.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include <ATen/ATen.h>
#include <ATen/Dispatch.h>

#include "pita/core/error.h"
#include "pita/core/parallel_rows.h"
#include "pita/core/rng.h"
#include "pita/mcmc/mean_free.h"

namespace pita {

Mala::Mala(const Energy& energy, MalaOptions options, std::vector<double> temperatures,
           std::vector<int64_t> groups)
    : energy_(energy),
      options_(options),
      temperatures_(std::move(temperatures)),
      groups_(std::move(groups)) {
    PITA_CHECK(!temperatures_.empty(),
               "[mala] no chains: got 0 temperatures; expected at least 1.");
    PITA_CHECK(groups_.size() == temperatures_.size(),
               "[mala] got {} groups for {} chains; expected one group per chain.", groups_.size(),
               temperatures_.size());
    for (double t : temperatures_)
        PITA_CHECK(t > 0 && std::isfinite(t), "[mala] temperature: got {}; expected > 0.", t);
    PITA_CHECK(options_.initial_step_size > 0,
               "[mala] step_size: got {}; expected > 0 (e.g. 1e-4).", options_.initial_step_size);
    PITA_CHECK(options_.drift_clip >= 0, "[mala] drift_clip: got {}; expected >= 0 (0 = off).",
               options_.drift_clip);
    PITA_CHECK(options_.target_acceptance > 0 && options_.target_acceptance < 1,
               "[mala] target_acceptance: got {}; expected in (0, 1), e.g. 0.574.",
               options_.target_acceptance);
    const int64_t n_groups = *std::max_element(groups_.begin(), groups_.end()) + 1;
    PITA_CHECK(*std::min_element(groups_.begin(), groups_.end()) >= 0,
               "[mala] group indices must be >= 0.");
    log_step_.assign(static_cast<std::size_t>(n_groups), std::log(options_.initial_step_size));
}

at::Tensor Mala::temperatures_like(const at::Tensor& like) const {
    return at::tensor(temperatures_, at::TensorOptions().dtype(at::kDouble))
        .to(like.device(), like.scalar_type());
}

std::vector<double> Mala::step_sizes() const {
    std::vector<double> out;
    for (double l : log_step_) out.push_back(std::exp(l));
    return out;
}

void Mala::set_step_sizes(const std::vector<double>& sizes) {
    PITA_CHECK(sizes.size() == log_step_.size(), "[mala] got {} step sizes; expected {}.",
               sizes.size(), log_step_.size());
    for (std::size_t g = 0; g < sizes.size(); ++g) log_step_[g] = std::log(sizes[g]);
}

ChainState Mala::init(const at::Tensor& x0) const {
    PITA_CHECK(x0.dim() == 3 && x0.size(0) == n_chains(),
               "[mala] initial state: got shape [{}]; expected [{}, {}, {}].",
               fmt::join(x0.sizes(), ", "), n_chains(), energy_.n_particles(),
               energy_.spatial_dim());
    ChainState s;
    s.x = energy_.translation_invariant() ? remove_mean(x0) : x0.clone();
    EnergyAndForce ef = energy_.energy_and_force(s.x);
    const at::Tensor bad = (~at::isfinite(ef.energy)).nonzero();
    if (bad.size(0) > 0) {
        const int64_t chain = bad[0][0].item<int64_t>();
        throw NumericalError(fmt::format(
            "[mala] non-finite energy in chain {} of {} at the start: got E={}; expected a finite "
            "energy. {} of {} chains start non-finite. Start from valid configurations (e.g. a "
            "lattice without overlapping particles).",
            chain, n_chains(), ef.energy[chain].item<double>(), bad.size(0), n_chains()));
    }
    s.energy = ef.energy;
    s.force = ef.force;
    return s;
}

namespace {

// Fused CPU MALA step: the same arithmetic as Mala::step_generic, one pass over each chain instead
// of ~30 tensor ops (the step was 8x slower than the energy it wraps; docs/BENCHMARKS.md).
template <typename T>
struct FusedMala {
    int64_t n;  // particles
    int64_t d;  // spatial dim
    bool mean_free;
    double clip;

    // drift = (δ/2)F/T, per-particle capped at clip·sqrt(δd), then projected mean-free.
    void drift(const T* force, double delta, double temp, double* out) const {
        const double scale = 0.5 * delta / temp;
        const double limit = clip * std::sqrt(delta * static_cast<double>(d));
        double mean[3] = {0.0, 0.0, 0.0};
        for (int64_t i = 0; i < n; ++i) {
            double norm2 = 0.0;
            for (int64_t k = 0; k < d; ++k) {
                out[i * d + k] = scale * static_cast<double>(force[i * d + k]);
                norm2 += out[i * d + k] * out[i * d + k];
            }
            if (clip > 0) {
                const double norm = std::sqrt(norm2);
                if (norm > limit) {
                    for (int64_t k = 0; k < d; ++k) out[i * d + k] *= limit / norm;
                }
            }
            for (int64_t k = 0; k < d && k < 3; ++k) mean[k] += out[i * d + k];
        }
        if (clip > 0 && mean_free) {
            for (int64_t i = 0; i < n; ++i)
                for (int64_t k = 0; k < d; ++k) out[i * d + k] -= mean[k] / static_cast<double>(n);
        }
    }
};

}  // namespace

at::Tensor Mala::step_generic(ChainState& s, at::Tensor noise, const at::Tensor& u,
                              const at::Tensor& delta) const {
    const int64_t c = n_chains();
    const at::Tensor temp = temperatures_like(s.energy);  // [C]
    const at::Tensor delta3 = delta.view({c, 1, 1});
    const at::Tensor temp3 = temp.view({c, 1, 1});
    if (energy_.translation_invariant()) noise = remove_mean(noise);
    at::Tensor x_new = s.x + drift(s.force, delta3, temp3) + delta3.sqrt() * noise;
    EnergyAndForce prop = energy_.energy_and_force(x_new);

    // log q(a|b) = −|a − b − drift(b)|² / (2δ); the forward residual is sqrt(δ)ξ.
    const at::Tensor back = s.x - x_new - drift(prop.force, delta3, temp3);
    const at::Tensor log_q_back = -back.pow(2).sum({1, 2}) / (2.0 * delta);
    const at::Tensor log_q_fwd = -0.5 * noise.pow(2).sum({1, 2});
    at::Tensor log_alpha = -(prop.energy - s.energy) / temp + log_q_back - log_q_fwd;
    const at::Tensor finite = at::isfinite(prop.energy) & at::isfinite(log_alpha);
    log_alpha = at::where(finite, log_alpha, at::full_like(log_alpha, -INFINITY));
    const at::Tensor accept = u.log() < log_alpha;

    const at::Tensor acc3 = accept.view({c, 1, 1});
    s.x = at::where(acc3, x_new, s.x);
    s.energy = at::where(accept, prop.energy, s.energy);
    s.force = at::where(acc3, prop.force, s.force);
    return accept;
}

at::Tensor Mala::step_fused_cpu(ChainState& s, const at::Tensor& noise_in, const at::Tensor& u_in,
                                const at::Tensor& delta_in) const {
    const int64_t c = n_chains();
    const int64_t n = energy_.n_particles();
    const int64_t d = energy_.spatial_dim();
    const int64_t nd = n * d;
    s.x = s.x.contiguous();
    s.force = s.force.contiguous();
    s.energy = s.energy.contiguous();
    const at::Tensor noise = noise_in.contiguous();
    const at::Tensor u = u_in.to(at::kDouble).contiguous();
    const double* dp = delta_in.data_ptr<double>();
    const double* up = u.data_ptr<double>();
    at::Tensor x_new = at::empty_like(s.x);
    at::Tensor log_q_fwd = at::empty({c}, at::kDouble);
    at::Tensor accept = at::empty({c}, at::kBool);
    bool* ap = accept.data_ptr<bool>();
    double* qp = log_q_fwd.data_ptr<double>();

    AT_DISPATCH_FLOATING_TYPES(s.x.scalar_type(), "mala_fused_cpu", [&] {
        const FusedMala<scalar_t> k{n, d, energy_.translation_invariant(), options_.drift_clip};
        const scalar_t* xp = s.x.data_ptr<scalar_t>();
        const scalar_t* fp = s.force.data_ptr<scalar_t>();
        scalar_t* np_ = noise.data_ptr<scalar_t>();  // own copy or fresh: safe to project in place
        scalar_t* xn = x_new.data_ptr<scalar_t>();
        parallel_rows(c, /*min_chunk=*/64, [&](int64_t begin, int64_t end) {
            std::vector<double> drift(static_cast<std::size_t>(nd));
            for (int64_t b = begin; b < end; ++b) {
                scalar_t* xi = np_ + b * nd;
                if (k.mean_free) {
                    double mean[3] = {0.0, 0.0, 0.0};
                    for (int64_t i = 0; i < n; ++i)
                        for (int64_t j = 0; j < d; ++j)
                            mean[j] += static_cast<double>(xi[i * d + j]);
                    for (int64_t i = 0; i < n; ++i)
                        for (int64_t j = 0; j < d; ++j)
                            xi[i * d + j] = static_cast<scalar_t>(xi[i * d + j] -
                                                                  mean[j] / static_cast<double>(n));
                }
                k.drift(fp + b * nd, dp[b], temperatures_[static_cast<std::size_t>(b)],
                        drift.data());
                const double sd = std::sqrt(dp[b]);
                double q = 0.0;
                for (int64_t e = 0; e < nd; ++e) {
                    const double z = static_cast<double>(xi[e]);
                    xn[b * nd + e] =
                        static_cast<scalar_t>(static_cast<double>(xp[b * nd + e]) +
                                              drift[static_cast<std::size_t>(e)] + sd * z);
                    q += z * z;
                }
                qp[b] = -0.5 * q;
            }
        });
    });

    const EnergyAndForce prop = energy_.energy_and_force(x_new);
    const at::Tensor e_new = prop.energy.contiguous();
    const at::Tensor f_new = prop.force.contiguous();

    AT_DISPATCH_FLOATING_TYPES(s.x.scalar_type(), "mala_fused_cpu_accept", [&] {
        const FusedMala<scalar_t> k{n, d, energy_.translation_invariant(), options_.drift_clip};
        scalar_t* xp = s.x.data_ptr<scalar_t>();
        scalar_t* fp = s.force.data_ptr<scalar_t>();
        scalar_t* ep = s.energy.data_ptr<scalar_t>();
        const scalar_t* xn = x_new.data_ptr<scalar_t>();
        const scalar_t* fn = f_new.data_ptr<scalar_t>();
        const scalar_t* en = e_new.data_ptr<scalar_t>();
        parallel_rows(c, /*min_chunk=*/64, [&](int64_t begin, int64_t end) {
            std::vector<double> drift(static_cast<std::size_t>(nd));
            for (int64_t b = begin; b < end; ++b) {
                const double temp = temperatures_[static_cast<std::size_t>(b)];
                bool ok = std::isfinite(static_cast<double>(en[b]));
                double log_alpha = -INFINITY;
                if (ok) {
                    k.drift(fn + b * nd, dp[b], temp, drift.data());
                    double back2 = 0.0;
                    for (int64_t e = 0; e < nd; ++e) {
                        const double r = static_cast<double>(xp[b * nd + e]) -
                                         static_cast<double>(xn[b * nd + e]) -
                                         drift[static_cast<std::size_t>(e)];
                        back2 += r * r;
                    }
                    log_alpha = -(static_cast<double>(en[b]) - static_cast<double>(ep[b])) / temp -
                                back2 / (2.0 * dp[b]) - qp[b];
                    if (!std::isfinite(log_alpha)) log_alpha = -INFINITY;
                }
                ap[b] = std::log(up[b]) < log_alpha;
                if (ap[b]) {
                    std::copy(xn + b * nd, xn + (b + 1) * nd, xp + b * nd);
                    std::copy(fn + b * nd, fn + (b + 1) * nd, fp + b * nd);
                    ep[b] = en[b];
                }
            }
        });
    });
    return accept;
}

at::Tensor Mala::drift(const at::Tensor& force, const at::Tensor& delta3,
                       const at::Tensor& temp3) const {
    at::Tensor d = 0.5 * delta3 * force / temp3;
    if (options_.drift_clip > 0) {
        const double dim = static_cast<double>(energy_.spatial_dim());
        const at::Tensor limit = options_.drift_clip * (delta3 * dim).sqrt();  // [C, 1, 1]
        const at::Tensor norm = d.norm(2, -1, /*keepdim=*/true).clamp_min(1e-300);
        d = d * (limit / norm).clamp_max(1.0);
        // Capping breaks Σ_i drift_i = 0; project back so chains stay in the mean-free subspace.
        if (energy_.translation_invariant()) d = remove_mean(d);
    }
    return d;
}

at::Tensor Mala::step(ChainState& s, at::Generator& gen, bool adapt) {
    require_generator_on(gen, s.x.device(), "mala");
    const auto opts = s.x.options();
    const int64_t c = n_chains();
    at::Tensor delta = at::empty({c}, at::kDouble);
    auto* dp = delta.data_ptr<double>();
    for (int64_t i = 0; i < c; ++i)
        dp[i] = std::exp(log_step_[static_cast<std::size_t>(groups_[i])]);
    // Random numbers first and in a fixed order, so both kernels make the same decisions.
    at::Tensor noise = at::randn(s.x.sizes(), gen, opts);
    const at::Tensor u = at::rand({c}, gen, opts);
    const bool fused =
        options_.kernel == MalaKernel::Auto && s.x.device().is_cpu() && energy_.spatial_dim() <= 3;
    const at::Tensor accept =
        fused ? step_fused_cpu(s, noise, u, delta) : step_generic(s, noise, u, delta.to(opts));
    if (adapt) {
        // Robbins–Monro on log δ per group, with a decaying gain so the step size settles.
        const at::Tensor acc_cpu = accept.to(at::kCPU, at::kDouble).contiguous();
        const double* ap = acc_cpu.data_ptr<double>();
        std::vector<double> sum(log_step_.size(), 0.0);
        std::vector<double> count(log_step_.size(), 0.0);
        for (int64_t i = 0; i < c; ++i) {
            sum[static_cast<std::size_t>(groups_[i])] += ap[i];
            count[static_cast<std::size_t>(groups_[i])] += 1.0;
        }
        const double gain = options_.adaptation_rate / std::sqrt(1.0 + adapt_count_);
        for (std::size_t g = 0; g < log_step_.size(); ++g) {
            if (count[g] == 0) continue;
            log_step_[g] += gain * (sum[g] / count[g] - options_.target_acceptance);
            log_step_[g] = std::clamp(log_step_[g], std::log(options_.min_step_size),
                                      std::log(options_.max_step_size));
        }
        ++adapt_count_;
    }
    return accept;
}

}  // namespace pita
