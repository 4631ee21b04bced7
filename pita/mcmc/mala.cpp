#include "pita/mcmc/mala.h"

#include <algorithm>
#include <cmath>

#include <ATen/ATen.h>

#include "pita/core/error.h"
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
    const auto opts = s.x.options();
    const int64_t c = n_chains();
    const at::Tensor temp = temperatures_like(s.energy);  // [C]
    at::Tensor log_step_chain = at::empty({c}, at::kDouble);
    auto* lp = log_step_chain.data_ptr<double>();
    for (int64_t i = 0; i < c; ++i) lp[i] = log_step_[static_cast<std::size_t>(groups_[i])];
    const at::Tensor delta = log_step_chain.exp().to(opts.device(), opts.dtype());  // [C]
    const at::Tensor delta3 = delta.view({c, 1, 1});
    const at::Tensor temp3 = temp.view({c, 1, 1});

    at::Tensor noise = at::randn(s.x.sizes(), gen, opts);
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
    const at::Tensor u = at::rand({c}, gen, opts);
    const at::Tensor accept = u.log() < log_alpha;

    const at::Tensor acc3 = accept.view({c, 1, 1});
    s.x = at::where(acc3, x_new, s.x);
    s.energy = at::where(accept, prop.energy, s.energy);
    s.force = at::where(acc3, prop.force, s.force);

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
