#include "pita/mcmc/parallel_tempering.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include <ATen/ATen.h>
#include <fmt/format.h>

#include "pita/config/config.h"
#include "pita/core/error.h"
#include "pita/core/rng.h"

namespace pita {

namespace {

ParallelTemperingOptions validated(ParallelTemperingOptions o) {
    PITA_CHECK(!o.temperatures.empty(),
               "[mcmc] temperatures: got an empty ladder; expected at "
               "least one temperature, e.g. [1.0].");
    for (double t : o.temperatures)
        PITA_CHECK(t > 0 && std::isfinite(t), "[mcmc] temperature: got {}; expected > 0.", t);
    std::sort(o.temperatures.begin(), o.temperatures.end());
    PITA_CHECK(
        std::adjacent_find(o.temperatures.begin(), o.temperatures.end()) == o.temperatures.end(),
        "[mcmc] temperatures: got a repeated temperature in [{}]; expected distinct values.",
        fmt::join(o.temperatures, ", "));
    PITA_CHECK(o.chains_per_temperature >= 1, "[mcmc] n_chains: got {}; expected >= 1.",
               o.chains_per_temperature);
    PITA_CHECK(o.swap_interval >= 1, "[mcmc] swap_interval: got {}; expected >= 1.",
               o.swap_interval);
    PITA_CHECK(o.warmup_steps >= 0, "[mcmc] warmup_steps: got {}; expected >= 0.", o.warmup_steps);
    PITA_CHECK(o.thin >= 1, "[mcmc] thin: got {}; expected >= 1.", o.thin);
    PITA_CHECK(o.production_steps >= 2 * o.thin,
               "[mcmc] production_steps: got {} with thin={}; expected at least 2 kept samples "
               "(production_steps >= 2·thin).",
               o.production_steps, o.thin);
    return o;
}

std::vector<double> chain_temperatures(const ParallelTemperingOptions& o) {
    std::vector<double> t;
    for (double temp : o.temperatures)
        for (int64_t r = 0; r < o.chains_per_temperature; ++r) t.push_back(temp);
    return t;
}

std::vector<int64_t> chain_groups(const ParallelTemperingOptions& o) {
    std::vector<int64_t> g;
    for (std::size_t k = 0; k < o.temperatures.size(); ++k)
        for (int64_t r = 0; r < o.chains_per_temperature; ++r) g.push_back(static_cast<int64_t>(k));
    return g;
}

}  // namespace

ParallelTempering::ParallelTempering(const Energy& energy, MalaOptions mala,
                                     ParallelTemperingOptions options)
    : energy_(energy),
      options_(validated(std::move(options))),
      mala_(energy, mala, chain_temperatures(options_), chain_groups(options_)) {}

int64_t ParallelTempering::n_chains() const { return mala_.n_chains(); }

void ParallelTempering::swap_round(ChainState& s, at::Generator& gen, int64_t round,
                                   std::vector<double>& attempts,
                                   std::vector<double>& accepts) const {
    const int64_t k_count = static_cast<int64_t>(options_.temperatures.size());
    const int64_t r_count = options_.chains_per_temperature;
    const at::Tensor e = s.energy.to(at::kCPU, at::kDouble).contiguous();
    const double* ep = e.data_ptr<double>();
    // Drawn on the chains' device (the generator belongs to it), then read on the host.
    const at::Tensor u =
        at::rand({k_count * r_count}, gen, s.energy.options().dtype(at::kDouble)).to(at::kCPU);
    const double* up = u.data_ptr<double>();
    at::Tensor perm = at::arange(k_count * r_count, at::kLong);
    int64_t* pp = perm.data_ptr<int64_t>();
    bool any = false;
    for (int64_t k = round % 2; k + 1 < k_count; k += 2) {
        const double dbeta = 1.0 / options_.temperatures[k] - 1.0 / options_.temperatures[k + 1];
        for (int64_t r = 0; r < r_count; ++r) {
            const int64_t a = k * r_count + r;
            const int64_t b = (k + 1) * r_count + r;
            // Detailed balance for exchanging configurations between temperatures k and k+1.
            const double log_alpha = dbeta * (ep[a] - ep[b]);
            attempts[k] += 1.0;
            if (std::log(up[a]) < log_alpha) {
                std::swap(pp[a], pp[b]);
                accepts[k] += 1.0;
                any = true;
            }
        }
    }
    if (!any) return;
    const at::Tensor idx = perm.to(s.x.device());
    s.x = s.x.index_select(0, idx);
    s.energy = s.energy.index_select(0, idx);
    s.force = s.force.index_select(0, idx);
}

McmcResult ParallelTempering::run(const at::Tensor& x0, at::Generator& gen,
                                  const McmcProgress& progress) {
    require_generator_on(gen, x0.device(), "parallel_tempering");
    const auto start = std::chrono::steady_clock::now();
    const int64_t evals_before = energy_.evaluations();
    const int64_t k_count = static_cast<int64_t>(options_.temperatures.size());
    const int64_t r_count = options_.chains_per_temperature;
    ChainState s = mala_.init(x0);
    std::vector<double> attempts(static_cast<std::size_t>(std::max<int64_t>(k_count - 1, 0)), 0.0);
    std::vector<double> accepts(attempts.size(), 0.0);
    const int64_t report_every =
        std::max<int64_t>(1, (options_.warmup_steps + options_.production_steps) / 200);

    int64_t round = 0;
    at::Tensor acc_warm = at::zeros({mala_.n_chains()}, at::kDouble);
    for (int64_t step = 0; step < options_.warmup_steps; ++step) {
        acc_warm += mala_.step(s, gen, /*adapt=*/true).to(at::kCPU, at::kDouble);
        if (k_count > 1 && (step + 1) % options_.swap_interval == 0)
            swap_round(s, gen, round++, attempts, accepts);
        if (progress && ((step + 1) % report_every == 0 || step + 1 == options_.warmup_steps)) {
            const auto sizes = mala_.step_sizes();
            progress("warmup", step + 1, options_.warmup_steps,
                     fmt::format("acc {:.2f}  step {:.2e}..{:.2e}",
                                 acc_warm.mean().item<double>() / static_cast<double>(step + 1),
                                 sizes.front(), sizes.back()));
        }
    }
    std::fill(attempts.begin(), attempts.end(), 0.0);
    std::fill(accepts.begin(), accepts.end(), 0.0);

    std::vector<at::Tensor> kept_x;
    std::vector<at::Tensor> kept_e;
    std::vector<at::Tensor> kept_v;
    at::Tensor acc = at::zeros({mala_.n_chains()}, at::kDouble);
    for (int64_t step = 0; step < options_.production_steps; ++step) {
        acc += mala_.step(s, gen, /*adapt=*/false).to(at::kCPU, at::kDouble);
        if (k_count > 1 && (step + 1) % options_.swap_interval == 0)
            swap_round(s, gen, round++, attempts, accepts);
        if ((step + 1) % options_.thin == 0) {
            kept_x.push_back(s.x.to(at::kCPU, s.x.scalar_type(), false, /*copy=*/true));
            // copy=true: the fused MALA kernel updates the state in place, so a tensor that merely
            // aliases it (what .to() returns when nothing needs converting) would change later.
            kept_e.push_back(s.energy.to(at::kCPU, at::kDouble, false, /*copy=*/true));
            // x·∇E = −x·F; x is mean-free for translation-invariant targets.
            kept_v.push_back((-(s.x * s.force).sum({1, 2})).to(at::kCPU, at::kDouble));
        }
        if (progress && ((step + 1) % report_every == 0 || step + 1 == options_.production_steps)) {
            progress("production", step + 1, options_.production_steps,
                     fmt::format("acc {:.2f}  <E>(T={}) {:.3f}",
                                 acc.mean().item<double>() / static_cast<double>(step + 1),
                                 options_.temperatures.front(),
                                 s.energy.slice(0, 0, r_count).mean().item<double>()));
        }
    }

    McmcResult result;
    const int64_t n_kept = static_cast<int64_t>(kept_x.size());
    const at::Tensor xs = at::stack(kept_x);  // [n_kept, C, N, d]
    const at::Tensor es = at::stack(kept_e);  // [n_kept, C]
    const at::Tensor vs = at::stack(kept_v);
    const at::Tensor acc_rate = acc / static_cast<double>(options_.production_steps);
    const auto sizes = mala_.step_sizes();
    const double dof = static_cast<double>(energy_.degrees_of_freedom());
    for (int64_t k = 0; k < k_count; ++k) {
        TemperatureSamples t;
        t.temperature = options_.temperatures[static_cast<std::size_t>(k)];
        const int64_t lo = k * r_count;
        const int64_t hi = lo + r_count;
        t.x = xs.slice(1, lo, hi).reshape(
            {n_kept * r_count, energy_.n_particles(), energy_.spatial_dim()});
        const at::Tensor e_series = es.slice(1, lo, hi);  // [n_kept, R]
        t.energy = e_series.reshape({-1});
        t.virial = vs.slice(1, lo, hi).reshape({-1});
        t.acceptance = acc_rate.slice(0, lo, hi).mean().item<double>();
        t.step_size = sizes[static_cast<std::size_t>(k)];
        t.energy_tau = integrated_autocorrelation_time(e_series);
        t.mean_energy = mean_with_error(e_series);
        t.configurational_temperature = mean_with_error(vs.slice(1, lo, hi) / dof);
        result.per_temperature.push_back(std::move(t));
    }
    for (std::size_t k = 0; k < attempts.size(); ++k)
        result.swap_acceptance.push_back(attempts[k] > 0 ? accepts[k] / attempts[k] : 0.0);
    result.energy_evaluations = energy_.evaluations() - evals_before;
    result.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return result;
}

void read_chain_options(const ConfigNode& node, MalaOptions& mala, ParallelTemperingOptions& pt) {
    mala.initial_step_size =
        node.get_double("step_size", mala.initial_step_size, Bounds::above(0).at_most(10));
    mala.target_acceptance =
        node.get_double("target_acceptance", mala.target_acceptance, Bounds::above(0).below(1));
    pt.chains_per_temperature =
        node.get_int("n_chains", pt.chains_per_temperature, Bounds::at_least(1));
    pt.warmup_steps = node.get_int("warmup_steps", pt.warmup_steps, Bounds::at_least(0));
    pt.production_steps =
        node.get_int("production_steps", pt.production_steps, Bounds::at_least(1));
    pt.thin = node.get_int("thin", pt.thin, Bounds::at_least(1));
    if (pt.thin > pt.production_steps)
        node.error("thin", fmt::format("got {} for {} production steps; expected thin <= "
                                       "production_steps (else no sample is kept).",
                                       pt.thin, pt.production_steps));
}

McmcOptions read_mcmc_options(const ConfigNode& node) {
    McmcOptions o;
    read_chain_options(node, o.mala, o.chains);
    o.mala.drift_clip = node.get_double("drift_clip", o.mala.drift_clip, Bounds::above(0));
    o.chains.temperatures = node.get_double_list("temperatures", {1.0}, Bounds::above(0));
    if (o.chains.temperatures.empty())
        node.error("temperatures", "expected at least one temperature.");
    o.chains.swap_interval =
        node.get_int("swap_interval", o.chains.swap_interval, Bounds::at_least(1));
    return o;
}

}  // namespace pita
