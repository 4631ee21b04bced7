#include "pita/diagnostics/score_diagnostic.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "pita/anneal/divergence.h"
#include "pita/core/error.h"
#include "pita/energy/energy.h"
#include "pita/energy/noised_density.h"
#include "pita/mcmc/mean_free.h"
#include "pita/model/energy_model.h"
#include "pita/model/score_model.h"
#include "pita/molecule/molecular_graph.h"
#include "pita/train/losses.h"

namespace pita {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// Running sums for one network at one level.
struct ErrorSums {
    double target = 0, local = 0, dsm = 0, cosine = 0, norm = 0, exact = 0;

    void add(const at::Tensor& s, const at::Tensor& g0, const at::Tensor& gt,
             const at::Tensor& local_rows, const at::Tensor& eps, double sigma,
             const at::Tensor& exact_score) {
        const at::Tensor sf = s.flatten(1).to(at::kDouble);
        const at::Tensor g0f = g0.flatten(1);
        target += (sf - g0f).square().sum().item<double>();
        if (local_rows.any().item<bool>()) {
            const at::Tensor d = (sf - gt.flatten(1)).index({local_rows});
            local += d.square().sum().item<double>();
        }
        dsm += (sigma * sf + eps.flatten(1).to(at::kDouble)).square().sum().item<double>();
        const at::Tensor sn = sf.norm(2, 1);
        const at::Tensor gn = g0f.norm(2, 1);
        cosine += ((sf * g0f).sum(1) / (sn * gn).clamp_min(1e-300)).sum().item<double>();
        norm += sn.sum().item<double>();
        if (exact_score.defined())
            exact += (sf - exact_score.flatten(1)).square().sum().item<double>();
    }
};

struct LevelSums {
    ErrorSums score, energy, skip;
    double g0_sq = 0, g0_norm = 0, gt_sq = 0, eps_sq = 0, exact_sq = 0;
    double rate_sum = 0, rate_sq = 0;  ///< of h·r (weight rate)
    int64_t rows = 0, local_rows = 0;
    int64_t not_l_noised = 0, not_l_score = 0, not_l_energy = 0;
};

/// Rows of x that are not the L form (mirror images and mixed).
int64_t count_not_l(const at::Tensor& x, const std::vector<ChiralCentre>& centres) {
    return x.size(0) - count_chirality(x, centres).l_form;
}

ScoreErrors finish(const ErrorSums& e, const LevelSums& l, bool exact) {
    ScoreErrors r;
    r.target = e.target / l.g0_sq;
    r.local = l.local_rows > 0 ? e.local / l.gt_sq : kNaN;
    r.dsm = e.dsm / l.eps_sq;
    r.cosine = e.cosine / static_cast<double>(l.rows);
    r.norm_ratio = e.norm / l.g0_norm;
    r.exact = exact ? e.exact / l.exact_sq : kNaN;
    return r;
}

nlohmann::json errors_json(const ScoreErrors& e) {
    auto num = [](double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(); };
    return {{"target", num(e.target)}, {"local", num(e.local)},           {"dsm", num(e.dsm)},
            {"cosine", num(e.cosine)}, {"norm_ratio", num(e.norm_ratio)}, {"exact", num(e.exact)}};
}

}  // namespace

ScoreDiagnostic diagnose_scores(const Energy& target, const ScoreModel& score,
                                const EnergyModel& energy_model, const at::Tensor& x0_all,
                                double temperature, double beta, double schedule_sigma_min,
                                double schedule_sigma_max, const ScoreDiagnosticOptions& options,
                                at::Generator& gen) {
    PITA_CHECK(x0_all.dim() == 3 && x0_all.size(1) == target.n_particles() &&
                   x0_all.size(2) == target.spatial_dim(),
               "[score-check] the samples have shape [{}]; expected [N, {}, {}] for {}.",
               fmt::join(x0_all.sizes(), ", "), target.n_particles(), target.spatial_dim(),
               target.name());
    PITA_CHECK(x0_all.size(0) > 0, "[score-check] no samples to probe.");
    PITA_CHECK(temperature > 0 && std::isfinite(temperature),
               "[score-check] temperature {} is not positive.", temperature);
    PITA_CHECK(options.levels >= 1 && options.max_samples >= 1 && options.batch >= 1,
               "[score-check] levels, samples and batch must be at least 1.");
    const double lo = options.sigma_low > 0 ? options.sigma_low : schedule_sigma_min;
    const double hi = options.sigma_high > 0 ? options.sigma_high : schedule_sigma_max;
    PITA_CHECK(lo > 0 && hi >= lo && std::isfinite(hi),
               "[score-check] the noise range [{:g}, {:g}] is empty; expected 0 < sigma_low <= "
               "sigma_high.",
               lo, hi);
    const bool mean_free = target.translation_invariant();
    const int64_t n = std::min<int64_t>(x0_all.size(0), options.max_samples);
    at::Tensor x0 = x0_all.slice(0, 0, n);
    if (mean_free) x0 = remove_mean(x0);
    const auto project = [&](const at::Tensor& v) { return mean_free ? remove_mean(v) : v; };
    // The closed-form noised score exists for p itself, i.e. at T = 1 (E = −log p).
    const auto* density = dynamic_cast<const NoisedDensity*>(&target);
    const bool exact = density != nullptr && std::abs(temperature - 1.0) < 1e-12;
    const MolecularGraph* graph = target.molecular_graph();
    const std::vector<ChiralCentre> centres =
        graph != nullptr ? graph->chiral_centres : std::vector<ChiralCentre>{};

    const int64_t before = target.evaluations();
    const at::Tensor g0_all =
        project(target.energy_and_force(x0).force.to(at::kDouble)) / temperature;

    ScoreDiagnostic result;
    result.temperature = temperature;
    result.beta = beta;
    result.samples = n;
    result.exact_available = exact;
    for (int64_t k = 0; k < options.levels; ++k) {
        const double frac =
            options.levels == 1 ? 0.0 : static_cast<double>(k) / (options.levels - 1);
        const double sigma = lo * std::pow(hi / lo, frac);
        LevelSums sums;
        for (int64_t start = 0; start < n; start += options.batch) {
            const int64_t end = std::min(n, start + options.batch);
            const int64_t b = end - start;
            const at::Tensor xb = x0.slice(0, start, end);
            const at::Tensor g0 = g0_all.slice(0, start, end);
            at::Tensor eps = at::randn(xb.sizes(), gen, xb.options());
            if (mean_free) eps = remove_mean(eps);
            const at::Tensor xt = xb + sigma * eps;
            const at::Tensor h = at::full({b}, sigma * sigma, xb.options());
            const at::Tensor bt = at::full({b}, beta, xb.options());
            const EnergyAndForce local = target.energy_and_force(xt);
            const at::Tensor gt = project(local.force.to(at::kDouble)) / temperature;
            const at::Tensor finite_rows = gt.flatten(1).isfinite().all(1);
            at::Tensor s_score, s_energy;
            {
                at::NoGradGuard no_grad;
                s_score = project(score.score(xt, h, bt));
            }
            const EnergyModelOutputs e =
                energy_model.evaluate(xt, h, bt, EnergyWant::GradXAndDh, false);
            s_energy = project(e.grad_x.neg()).detach();
            {
                // The weight rate as the annealer meets it: unprojected vectors, one probe.
                // One noise level per pass: h and β expand to the stacked copies' rows.
                const VectorField f = [&](const at::Tensor& y) {
                    const int64_t rows = y.size(0);
                    return score.score(y, h.narrow(0, 0, 1).expand({rows}),
                                       bt.narrow(0, 0, 1).expand({rows}));
                };
                const ValueAndDivergence vd = options.exact_divergence
                                                  ? exact_divergence(f, xt)
                                                  : hutchinson_divergence(f, xt, 1, gen);
                const at::Tensor rate =
                    heat_equation_residual(h, e.du_dh, e.grad_x, vd.value, vd.divergence)
                        .to(at::kDouble);
                sums.rate_sum += rate.sum().item<double>();
                sums.rate_sq += rate.square().sum().item<double>();
            }
            at::Tensor s_exact;
            if (exact) {
                const at::Tensor hh = at::scalar_tensor(sigma * sigma, at::kDouble);
                s_exact = density->score(xt.flatten(1).to(at::kDouble), hh).view_as(g0);
                sums.exact_sq += s_exact.square().sum().item<double>();
            }
            sums.score.add(s_score, g0, gt, finite_rows, eps, sigma, s_exact);
            sums.energy.add(s_energy, g0, gt, finite_rows, eps, sigma, s_exact);
            const at::Tensor s_skip =
                project(xt.neg() / (score.sigma_data() * score.sigma_data() + sigma * sigma));
            sums.skip.add(s_skip, g0, gt, finite_rows, eps, sigma, s_exact);
            sums.g0_sq += g0.square().sum().item<double>();
            sums.g0_norm += g0.flatten(1).norm(2, 1).sum().item<double>();
            if (finite_rows.any().item<bool>())
                sums.gt_sq += gt.flatten(1).index({finite_rows}).square().sum().item<double>();
            sums.eps_sq += eps.to(at::kDouble).square().sum().item<double>();
            if (!centres.empty()) {
                const double h2 = sigma * sigma;
                sums.not_l_noised += count_not_l(xt, centres);
                sums.not_l_score += count_not_l(xt + h2 * s_score.to(xt.dtype()), centres);
                sums.not_l_energy += count_not_l(xt + h2 * s_energy.to(xt.dtype()), centres);
            }
            sums.rows += b;
            sums.local_rows += finite_rows.sum().item<int64_t>();
        }
        ScoreLevel level;
        level.sigma = sigma;
        level.score_network = finish(sums.score, sums, exact);
        level.energy_network = finish(sums.energy, sums, exact);
        level.skip = finish(sums.skip, sums, exact);
        level.target_norm = std::sqrt(sums.g0_sq / static_cast<double>(sums.rows));
        level.local_norm = sums.local_rows > 0
                               ? std::sqrt(sums.gt_sq / static_cast<double>(sums.local_rows))
                               : kNaN;
        level.nonfinite_local = sums.rows - sums.local_rows;
        const auto fraction = [&](int64_t count) {
            return centres.empty() ? kNaN
                                   : static_cast<double>(count) / static_cast<double>(sums.rows);
        };
        level.not_l_noised = fraction(sums.not_l_noised);
        level.not_l_score = fraction(sums.not_l_score);
        level.not_l_energy = fraction(sums.not_l_energy);
        const double rows = static_cast<double>(sums.rows);
        const double rate_mean = sums.rate_sum / rows;
        level.weight_rate_sd =
            std::sqrt(std::max(0.0, sums.rate_sq / rows - rate_mean * rate_mean));
        result.levels.push_back(level);
    }
    result.energy_evaluations = target.evaluations() - before;
    return result;
}

nlohmann::json to_json(const ScoreDiagnostic& d) {
    nlohmann::json levels = nlohmann::json::array();
    for (const ScoreLevel& l : d.levels)
        levels.push_back({{"sigma", l.sigma},
                          {"score_network", errors_json(l.score_network)},
                          {"energy_network", errors_json(l.energy_network)},
                          {"skip", errors_json(l.skip)},
                          {"target_norm", l.target_norm},
                          {"local_norm", std::isfinite(l.local_norm) ? nlohmann::json(l.local_norm)
                                                                     : nlohmann::json()},
                          {"nonfinite_local", l.nonfinite_local},
                          {"weight_rate_sd", l.weight_rate_sd},
                          {"not_l_form", std::isfinite(l.not_l_noised)
                                             ? nlohmann::json{{"noised", l.not_l_noised},
                                                              {"score_network", l.not_l_score},
                                                              {"energy_network", l.not_l_energy}}
                                             : nlohmann::json()}});
    return {{"temperature", d.temperature},
            {"beta", d.beta},
            {"samples", d.samples},
            {"exact_available", d.exact_available},
            {"energy_evaluations", d.energy_evaluations},
            {"levels", levels}};
}

std::string format_score_diagnostic(const ScoreDiagnostic& d) {
    std::string out = fmt::format("{:>8} | {:^41} | {:^41} | {:^14} |\n", "", "score network",
                                  "energy network (-grad U)", "untrained");
    const auto head = [&] {
        return d.exact_available ? fmt::format("{:>7} {:>7} {:>6} {:>5} {:>5} {:>6}", "target",
                                               "local", "dsm", "cos", "|s|", "exact")
                                 : fmt::format("{:>7} {:>7} {:>6} {:>5} {:>5} {:>6}", "target",
                                               "local", "dsm", "cos", "|s|", "");
    };
    out += fmt::format("{:>8} | {} | {} | {:>7} {:>6} | {:>9} | {:>7}\n", "sigma", head(), head(),
                       "target", "dsm", "|F/T|", "w-rate");
    const auto row = [&](const ScoreErrors& e) {
        return fmt::format("{:>7.3g} {:>7.3g} {:>6.3f} {:>5.2f} {:>5.2f} {:>6}", e.target, e.local,
                           e.dsm, e.cosine, e.norm_ratio,
                           std::isfinite(e.exact) ? fmt::format("{:.3g}", e.exact) : "");
    };
    for (const ScoreLevel& l : d.levels)
        out += fmt::format("{:>8.4g} | {} | {} | {:>7.3g} {:>6.3f} | {:>9.4g} | {:>7.3g}\n",
                           l.sigma, row(l.score_network), row(l.energy_network), l.skip.target,
                           l.skip.dsm, l.target_norm, l.weight_rate_sd);
    if (!d.levels.empty() && std::isfinite(d.levels.front().not_l_noised)) {
        out +=
            fmt::format("\n{:>8} | {:>8} {:>14} {:>15}   (fraction not L; x^ = x_t + sigma^2 s)\n",
                        "sigma", "x_t", "x^ score net", "x^ energy net");
        for (const ScoreLevel& l : d.levels)
            out += fmt::format("{:>8.4g} | {:>8.3f} {:>14.3f} {:>15.3f}\n", l.sigma, l.not_l_noised,
                               l.not_l_score, l.not_l_energy);
    }
    return out;
}

}  // namespace pita
