#include "pita/anneal/annealer.h"

#include <algorithm>
#include <cmath>

#include <ATen/ATen.h>
#include <fmt/format.h>

#include "pita/core/error.h"
#include "pita/core/rng.h"
#include "pita/mcmc/mean_free.h"

namespace pita {
namespace {

void check(const AnnealOptions& o) {
    PITA_CHECK(o.gamma > 0 && std::isfinite(o.gamma),
               "[anneal] gamma: got {}; expected a finite number > 0.", o.gamma);
    PITA_CHECK(o.n_samples >= 1, "[anneal] n_samples: got {}; expected >= 1.", o.n_samples);
    PITA_CHECK(o.n_particles >= 1 && o.spatial_dim >= 1,
               "[anneal] configuration shape: got {} × {}; expected positive sizes.", o.n_particles,
               o.spatial_dim);
    PITA_CHECK(o.steps >= 1, "[anneal] steps: got {}; expected >= 1.", o.steps);
    PITA_CHECK(o.resample_interval >= 0, "[anneal] resample_interval: got {}; expected >= 0.",
               o.resample_interval);
    PITA_CHECK(o.ess_threshold >= 0 && o.ess_threshold <= 1,
               "[anneal] ess_threshold: got {}; expected a fraction in [0, 1].", o.ess_threshold);
    PITA_CHECK(o.clamp_quantile >= 0 && o.clamp_quantile <= 1,
               "[anneal] clamp_quantile: got {}; expected 0 (off) or a quantile in (0, 1].",
               o.clamp_quantile);
    PITA_CHECK(o.chunk >= 1, "[anneal] chunk: got {}; expected >= 1.", o.chunk);
    PITA_CHECK(o.resample_end_sigma >= 0, "[anneal] resample_end_sigma: got {}; expected >= 0.",
               o.resample_end_sigma);
    const double lambda = o.score_weight < 0 ? o.gamma : o.score_weight;
    PITA_CHECK(o.tempering == TemperingWeight::Energy || lambda == 1.0,
               "[anneal] tempering_weight: {} needs the balanced drift (λ = 1), got λ = {}. "
               "Set anneal.drift: balanced, or tempering_weight: energy.",
               tempering_weight_name(o.tempering), lambda);
}

double variance(const at::Tensor& v) {
    const at::Tensor finite = v.masked_select(at::isfinite(v));
    return finite.numel() > 1 ? finite.var().item<double>() : 0.0;
}

}  // namespace

std::string tempering_weight_name(TemperingWeight w) {
    switch (w) {
        case TemperingWeight::Energy:
            return "energy";
        case TemperingWeight::Score:
            return "score";
        case TemperingWeight::ScoreOnly:
            return "score_only";
    }
    return "?";
}

bool weights_vanish(const AnnealOptions& o) {
    return o.tempering == TemperingWeight::ScoreOnly && o.gamma == 1.0;
}

int64_t weighting_end_step(const AnnealOptions& o, const NoiseSchedule& schedule) {
    if (weights_vanish(o)) return 0;
    int64_t end = o.resample_end < 0 ? o.steps : std::min(o.resample_end, o.steps);
    if (o.resample_end_sigma > 0) {
        for (int64_t k = 0; k < end; ++k) {
            const double t = 1.0 - static_cast<double>(k) / static_cast<double>(o.steps);
            if (schedule.sigma(t) < o.resample_end_sigma) return k;
        }
    }
    return end;
}

AnnealResult anneal(const AnnealingModel& model, const NoiseSchedule& schedule,
                    const AnnealOptions& o, at::TensorOptions tensor_options, at::Generator& gen,
                    const AnnealProgress& progress) {
    check(o);
    require_generator_on(gen, tensor_options.device(), "anneal");
    const int64_t n = o.n_samples;
    const double gamma = o.gamma;
    const double lambda = o.score_weight < 0 ? o.gamma : o.score_weight;
    const int64_t end = weighting_end_step(o, schedule);
    const double dt = 1.0 / static_cast<double>(o.steps);
    const bool score_only = o.tempering == TemperingWeight::ScoreOnly;

    // Prior: the noised marginal at t = 1 tempered by γ, N(0, h(1)/γ).
    at::Tensor x = at::randn({n, o.n_particles, o.spatial_dim}, gen, tensor_options) *
                   std::sqrt(schedule.h(1.0) / gamma);
    if (o.particle_system) x = remove_mean(x);
    const auto f64 = tensor_options.dtype(at::kDouble);
    at::Tensor log_w = at::zeros({n}, f64);
    at::Tensor origin = at::arange(n, at::TensorOptions(at::kLong));
    int64_t lineages = n;  // distinct entries of origin; only a resampling changes them

    AnnealResult result;
    result.stats.reserve(static_cast<std::size_t>(o.steps));
    for (int64_t k = 0; k < o.steps; ++k) {
        const double t = 1.0 - static_cast<double>(k) * dt;
        const bool weighted = k >= o.resample_start && k < end;
        const double g2 = schedule.g2(t);
        std::vector<at::Tensor> drifts, increments;
        int64_t probed_score = 0, probed_energy = 0;
        for (int64_t i = 0; i < n; i += o.chunk) {
            const at::Tensor xc = x.slice(0, i, i + o.chunk);
            const DriftInputs d = model.evaluate(xc, t, weighted, gen);
            // ScoreOnly: the score network stands in for −∇U; the energy outputs are not read.
            const at::Tensor grad_u = score_only ? -d.score : d.grad_u;
            drifts.push_back(0.5 * g2 * (lambda * d.score - gamma * grad_u));
            if (o.probe) {
                const double h = schedule.h(t);
                probed_score += o.probe(xc + h * d.score);
                if (!score_only) probed_energy += o.probe(xc - h * grad_u);
            }
            if (weighted) {
                const at::Tensor div = d.div_score.to(at::kDouble);
                at::Tensor inc;
                if (score_only) {
                    inc = (1.0 - gamma) * 0.5 * g2 * div;
                } else {
                    const at::Tensor cross = (-grad_u * d.score).flatten(1).sum(1).to(at::kDouble);
                    const at::Tensor du_dt = d.du_dt.to(at::kDouble);
                    inc = o.tempering == TemperingWeight::Score  // λ = 1 (checked)
                              ? 0.5 * g2 * cross + du_dt + (2.0 - gamma) * 0.5 * g2 * div
                              : lambda * gamma * 0.5 * g2 * cross + lambda * 0.5 * g2 * div +
                                    gamma * du_dt;
                }
                // The reference's biased variance control, per chunk (spec §5.3–5.4).
                if (o.clamp_quantile > 0) inc = clamp_above_quantile(inc, o.clamp_quantile);
                increments.push_back(inc);
            }
        }
        const at::Tensor xi = at::randn(x.sizes(), gen, x.options());
        x = x + at::cat(drifts) * dt + std::sqrt(g2 * dt) * xi;
        if (o.particle_system) x = remove_mean(x);

        AnnealStepStats st;
        st.step = k;
        st.t = t;
        st.unique_ancestors = n;
        st.lineages = lineages;
        if (o.probe) {
            st.probe_score = static_cast<double>(probed_score) / static_cast<double>(n);
            if (!score_only)
                st.probe_energy = static_cast<double>(probed_energy) / static_cast<double>(n);
        }
        if (weighted) {
            const at::Tensor inc = at::cat(increments) * dt;
            st.log_weight_variance = variance(inc);
            log_w = log_w + inc;
        } else {
            log_w.zero_();
        }
        st.ess = effective_sample_size(log_w);
        const bool on_schedule = o.resample_interval > 0 && (k + 1) % o.resample_interval == 0;
        const bool low_ess = o.ess_threshold > 0 && st.ess < o.ess_threshold * n;
        if (weighted && (on_schedule || low_ess)) {
            const at::Tensor idx = resample(log_w, o.scheme, n, gen,
                                            fmt::format("annealing step {} (t = {:.4f})", k, t));
            x = x.index_select(0, idx.to(x.device()));
            log_w.zero_();
            st.resampled = true;
            st.unique_ancestors = count_unique(idx);
            origin = origin.index_select(0, idx.to(origin.device()));
            lineages = st.lineages = count_unique(origin);
            ++result.resampling_events;
        }
        result.stats.push_back(st);
        if (progress) progress(k + 1, o.steps, st);
    }
    result.x = x;
    result.log_weight = log_w;
    result.origin = origin;
    return result;
}

}  // namespace pita
