#include "pita/train/losses.h"

#include <ATen/ATen.h>
#include <fmt/format.h>

#include "pita/anneal/divergence.h"
#include "pita/core/error.h"

namespace pita {

at::Tensor heat_equation_residual(const at::Tensor& h, const at::Tensor& du_dh,
                                  const at::Tensor& grad_u, const at::Tensor& score,
                                  const at::Tensor& div_score) {
    const at::Tensor cross = (grad_u * score).flatten(1).sum(1);
    return h * (du_dh + 0.5 * div_score - 0.5 * cross);
}

at::Tensor within_group_variance(const at::Tensor& v, int64_t group) {
    PITA_CHECK(group >= 1 && v.size(0) % group == 0,
               "[train] within_group_variance: {} rows do not split into groups of {}.", v.size(0),
               group);
    const at::Tensor g = v.view({-1, group});
    return (g - g.mean(1, /*keepdim=*/true)).pow(2).mean();
}

at::Tensor noise_level_groups(const at::Tensor& levels, int64_t group) {
    return levels.repeat_interleave(group);
}

bool trains_energy_network(const LossWeights& w) {
    return w.energy_score > 0 || w.energy_matching > 0 || w.energy_consistency > 0;
}

LossTerms compute_losses(const ScoreModel& score_model, const EnergyModel& energy_model,
                         const LossBatch& batch, const at::Tensor& h, const at::Tensor& noise,
                         const LossOptions& options, at::Generator* gen) {
    const LossWeights& w = options.weights;
    const at::Tensor h3 = h.view({-1, 1, 1});
    const at::Tensor x_t = batch.x0 + h3.sqrt() * noise;
    // EDM weight λ(h) = (h + s)/(h·s), s = σ_data² (s = 1: the reference's (1+h)/h).
    const double s = score_model.sigma_data() * score_model.sigma_data();
    const at::Tensor lambda = (s + h) / (h * s);
    auto squared = [](const at::Tensor& v) { return v.pow(2).sum({1, 2}); };

    LossTerms out;
    out.total = at::zeros({}, batch.x0.options());
    at::Tensor d_s;
    if (w.score > 0 || w.target_score > 0 || w.energy_score > 0) {
        d_s = score_model.denoise(x_t, h, batch.beta);
    }
    if (w.score > 0) {
        const at::Tensor keep = (h >= options.score_h_threshold).to(h.dtype());
        out.score = (keep * lambda * squared(d_s - batch.x0)).mean();
        out.total = out.total + w.score * out.score;
    }
    if (w.target_score > 0) {
        const at::Tensor keep = h < options.tsm_h_threshold;
        const at::Tensor norm = batch.grad_log_p0.flatten(1).norm(2, 1).view({-1, 1, 1});
        const at::Tensor f0 = batch.grad_log_p0 * (options.max_score_norm / norm).clamp_max(1.0);
        at::Tensor per_row = squared(x_t + h3 * f0 - d_s);
        if (options.tsm_lambda_weight) per_row = lambda * per_row;
        const at::Tensor n = keep.sum();
        out.target_score = n.item<int64_t>() > 0
                               ? (per_row * keep.to(per_row.dtype())).sum() / n.to(per_row.dtype())
                               : at::zeros({}, per_row.options());
        out.total = out.total + w.target_score * out.target_score;
    }
    EnergyModelOutputs e;
    if (w.energy_score > 0 || w.energy_consistency > 0) {
        e = energy_model.evaluate(
            x_t, h, batch.beta,
            w.energy_consistency > 0 ? EnergyWant::GradXAndDh : EnergyWant::GradX,
            /*create_graph=*/true);
    }
    if (w.energy_score > 0) {
        const at::Tensor d_e = x_t - h3 * e.grad_x;
        out.energy_score = (lambda * squared(d_e - d_s.detach())).mean();
        out.total = out.total + w.energy_score * out.energy_score;
    }
    if (w.energy_consistency > 0) {
        PITA_ASSERT(gen != nullptr, "energy_consistency needs a generator for its probe");
        // The score and its divergence as the annealer estimates them (one Rademacher probe),
        // detached: this term trains the energy network only.
        const at::Tensor beta = batch.beta;
        const VectorField score_of = [&](const at::Tensor& y) {
            // One probe and one chunk: the rows arrive as they are, so h and β line up.
            PITA_ASSERT(y.size(0) == h.size(0), "energy_consistency: the probe changed the rows");
            return score_model.score(y, h, beta);
        };
        const ValueAndDivergence sd = hutchinson_divergence(score_of, x_t.detach(), 1, *gen);
        const at::Tensor r =
            heat_equation_residual(h, e.du_dh, e.grad_x, sd.value.detach(), sd.divergence.detach());
        out.energy_consistency = within_group_variance(r, options.consistency_group);
        out.total = out.total + w.energy_consistency * out.energy_consistency;
    }
    if (w.energy_matching > 0) {
        const at::Tensor h0 = at::full_like(h, options.h_min);
        const at::Tensor u0 = energy_model.energy(batch.x0, h0, batch.beta);
        const at::Tensor target = -batch.log_p0;
        const at::Tensor keep = (target <= options.energy_mask).to(u0.dtype());
        out.energy_matching = (keep * (target - u0).pow(2)).mean();
        out.total = out.total + w.energy_matching * out.energy_matching;
    }
    return out;
}

std::string loss_summary(const LossTerms& t) {
    std::string s = fmt::format("loss {:.4g}", t.total.item<double>());
    if (t.score.defined()) s += fmt::format(" dsm {:.3g}", t.score.item<double>());
    if (t.energy_score.defined()) s += fmt::format(" dist {:.3g}", t.energy_score.item<double>());
    if (t.energy_matching.defined())
        s += fmt::format(" em {:.3g}", t.energy_matching.item<double>());
    if (t.target_score.defined()) s += fmt::format(" tsm {:.3g}", t.target_score.item<double>());
    if (t.energy_consistency.defined())
        s += fmt::format(" cons {:.3g}", t.energy_consistency.item<double>());
    return s;
}

nlohmann::json terms_json(const LossTerms& t) {
    nlohmann::json j;
    auto put = [&](const char* k, const at::Tensor& v) {
        if (v.defined()) j[k] = v.item<double>();
    };
    put("total", t.total);
    put("score", t.score);
    put("energy_score", t.energy_score);
    put("energy_matching", t.energy_matching);
    put("target_score", t.target_score);
    put("energy_consistency", t.energy_consistency);
    return j;
}

}  // namespace pita
