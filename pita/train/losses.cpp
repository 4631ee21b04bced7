#include "pita/train/losses.h"

#include <ATen/ATen.h>
#include <fmt/format.h>

namespace pita {

LossTerms compute_losses(const ScoreModel& score_model, const EnergyModel& energy_model,
                         const LossBatch& batch, const at::Tensor& h, const at::Tensor& noise,
                         const LossOptions& options) {
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
    if (w.energy_score > 0) {
        const at::Tensor d_e = energy_model.denoise(x_t, h, batch.beta, /*create_graph=*/true);
        out.energy_score = (lambda * squared(d_e - d_s.detach())).mean();
        out.total = out.total + w.energy_score * out.energy_score;
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
    return j;
}

}  // namespace pita
