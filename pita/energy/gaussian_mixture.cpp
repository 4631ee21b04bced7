#include "pita/energy/gaussian_mixture.h"

#include <cmath>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <nlohmann/json.hpp>

#include "pita/core/error.h"
#include "pita/core/tensor_format.h"
#include "pita/core/units.h"

namespace pita {

namespace {

// ∇ log p = Σ_k r_k ∇ log N_k with ∇ log N_k = −(x − m_k)/var_k.
// @param r [B, K] responsibilities, var [B or 1, K], diff [B, K, d]  @return [B, d]
at::Tensor mixture_score(const at::Tensor& r, const at::Tensor& var, const at::Tensor& diff) {
    return -((r / var).unsqueeze(-1) * diff).sum(1);
}

void throw_if_any(const std::vector<std::string>& issues) {
    PITA_CHECK(issues.empty(), "[gmm] invalid mixture ({} problem{}): {}", issues.size(),
               issues.size() == 1 ? "" : "s", fmt::join(issues, " "));
}

}  // namespace

// Per-component pieces shared by every NoisedDensity query; see terms().
struct GaussianMixture::Terms {
    at::Tensor diff;       // [B, K, d]   x − m_k
    at::Tensor sq;         // [B, K]      |x − m_k|²
    at::Tensor var;        // [B or 1, K] v_k + h
    at::Tensor log_joint;  // [B, K]      log w_k + log N(x; m_k, (v_k + h) I)
};

GaussianMixture::GaussianMixture(at::Tensor means, at::Tensor variances, at::Tensor weights) {
    // Shapes first (values cannot be checked against a wrong shape), then every value problem at
    // once, so a bad config is fixed in one round.
    std::vector<std::string> issues;
    const bool means_ok =
        means.defined() && means.dim() == 2 && means.size(0) >= 1 && means.size(1) >= 1;
    if (!means_ok) {
        issues.push_back(
            fmt::format("means: got shape {}; expected [K, d] with K, d >= 1.", shape_of(means)));
    }
    const int64_t k = means_ok ? means.size(0) : -1;
    if (!variances.defined() || variances.dim() != 1 || (means_ok && variances.size(0) != k)) {
        issues.push_back(fmt::format("variances: got shape {}; expected [{}] (one per component).",
                                     shape_of(variances), means_ok ? std::to_string(k) : "K"));
    }
    if (!weights.defined() || weights.dim() != 1 || (means_ok && weights.size(0) != k)) {
        issues.push_back(fmt::format("weights: got shape {}; expected [{}] (one per component).",
                                     shape_of(weights), means_ok ? std::to_string(k) : "K"));
    }
    throw_if_any(issues);

    means_ = means.detach().to(at::kCPU, at::kDouble).contiguous().clone();
    variances_ = variances.detach().to(at::kCPU, at::kDouble).contiguous().clone();
    weights_ = weights.detach().to(at::kCPU, at::kDouble).contiguous().clone();
    n_components_ = k;
    dim_ = means_.size(1);

    if (!means_.isfinite().all().item<bool>()) {
        issues.emplace_back("means: got non-finite entries; expected finite values.");
    }
    const auto bad_var = (~variances_.isfinite()).logical_or(variances_ <= 0).nonzero();
    if (bad_var.numel() > 0) {
        const int64_t i = bad_var[0][0].item<int64_t>();
        issues.push_back(fmt::format(
            "variances: got {} at component {} ({} bad in all); expected finite values > 0.",
            variances_[i].item<double>(), i, bad_var.size(0)));
    }
    const auto bad_w = (~weights_.isfinite()).logical_or(weights_ < 0).nonzero();
    if (bad_w.numel() > 0) {
        const int64_t i = bad_w[0][0].item<int64_t>();
        issues.push_back(fmt::format(
            "weights: got {} at component {} ({} bad in all); expected finite values >= 0.",
            weights_[i].item<double>(), i, bad_w.size(0)));
    } else if (weights_.sum().item<double>() <= 0) {
        issues.emplace_back(
            "weights: got all zeros; expected a positive sum. Weights are normalised inside, so "
            "any positive scale works.");
    }
    throw_if_any(issues);
    weights_ = weights_ / weights_.sum();
}

std::unique_ptr<GaussianMixture> GaussianMixture::pita_gmm40() {
    constexpr int64_t kModes = 40;
    constexpr double kLocScaling = 40.0;
    // A fresh CPU generator seeded 0 is the state torch.manual_seed(0) leaves. The draw and the
    // affine map stay in float32, op for op as in fab's GMM, so the means are the reference's.
    at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(0);
    at::Tensor means = (at::rand({kModes, 2}, gen, at::kFloat) - 0.5) * 2 * kLocScaling;
    const double std_dev = std::log1p(std::exp(1.0));  // softplus(1)
    at::Tensor variances = at::full({kModes}, std_dev * std_dev, at::kDouble);
    at::Tensor weights = at::ones({kModes}, at::kDouble);
    return std::make_unique<GaussianMixture>(means.to(at::kDouble), variances, weights);
}

nlohmann::json GaussianMixture::config() const {
    return {{"type", "gmm"}, {"n_components", n_components_}, {"dim", dim_}};
}

void GaussianMixture::check_input(const at::Tensor& x, const at::Tensor& h,
                                  const char* function) const {
    PITA_CHECK(x.defined() && x.dim() == 2 && x.size(1) == dim_,
               "[gmm] {}: wrong x shape: got {}; expected [batch, {}] (flat).", function,
               shape_of(x), dim_);
    PITA_CHECK(x.scalar_type() == at::kFloat || x.scalar_type() == at::kDouble,
               "[gmm] {}: unsupported dtype: got {}; expected float32 or float64.", function,
               c10::toString(x.scalar_type()));
    PITA_CHECK(h.defined() &&
                   (h.dim() == 0 || (h.dim() == 1 && (h.size(0) == 1 || h.size(0) == x.size(0)))),
               "[gmm] {}: wrong h shape: got {}; expected a 0-d tensor or [{}] (one noise "
               "variance per row).",
               function, shape_of(h), x.size(0));
}

GaussianMixture::Terms GaussianMixture::terms(const at::Tensor& x, const at::Tensor& h) const {
    const auto device = x.device();
    const auto dtype = x.scalar_type();
    const auto d = static_cast<double>(dim_);
    Terms t;
    t.var = variances_.to(device, dtype).unsqueeze(0) + h.to(device, dtype).reshape({-1, 1});
    t.diff = x.unsqueeze(1) - means_.to(device, dtype).unsqueeze(0);
    t.sq = t.diff.square().sum(-1);
    // log w is taken in float64 first, so a zero weight is exactly −inf in either dtype.
    t.log_joint = weights_.log().to(device, dtype).unsqueeze(0) -
                  0.5 * d * ((2.0 * kPi) * t.var).log() - t.sq / (2.0 * t.var);
    return t;
}

at::Tensor GaussianMixture::log_prob(const at::Tensor& x, const at::Tensor& h) const {
    check_input(x, h, "log_prob");
    return at::logsumexp(terms(x, h).log_joint, {1});
}

at::Tensor GaussianMixture::score(const at::Tensor& x, const at::Tensor& h) const {
    check_input(x, h, "score");
    const Terms t = terms(x, h);
    return mixture_score(at::softmax(t.log_joint, 1), t.var, t.diff);
}

at::Tensor GaussianMixture::laplacian(const at::Tensor& x, const at::Tensor& h) const {
    check_input(x, h, "laplacian");
    const Terms t = terms(x, h);
    const at::Tensor r = at::softmax(t.log_joint, 1);
    const at::Tensor s = mixture_score(r, t.var, t.diff);
    // Δ log p = Σ r_k (|∇ log N_k|² + Δ log N_k) − |∇ log p|², since Δp/p = Σ r_k (ΔN_k/N_k).
    const at::Tensor per_k = t.sq / t.var.square() - static_cast<double>(dim_) / t.var;
    return (r * per_k).sum(1) - s.square().sum(1);
}

at::Tensor GaussianMixture::dlogp_dh(const at::Tensor& x, const at::Tensor& h) const {
    check_input(x, h, "dlogp_dh");
    const Terms t = terms(x, h);
    const at::Tensor r = at::softmax(t.log_joint, 1);
    // ∂/∂v log N(x; m, v I) = −d/(2v) + |x − m|²/(2v²), and ∂var_k/∂h = 1.
    const at::Tensor per_k =
        t.sq / (2.0 * t.var.square()) - 0.5 * static_cast<double>(dim_) / t.var;
    return (r * per_k).sum(1);
}

at::Tensor GaussianMixture::sample(int64_t n, double h, at::Generator& gen) const {
    PITA_CHECK(n >= 0, "[gmm] sample: n: got {}; expected >= 0.", n);
    PITA_CHECK(std::isfinite(h) && h >= 0, "[gmm] sample: h: got {}; expected a finite h >= 0.", h);
    PITA_CHECK(gen.device().is_cpu(),
               "[gmm] sample: generator on {}; expected a CPU generator (samples are made on the "
               "CPU in float64).",
               gen.device().str());
    if (n == 0) return at::empty({0, dim_}, at::kDouble);
    // Component first, then the Gaussian: the exact ancestral sampler of the mixture.
    const at::Tensor k = at::multinomial(weights_, n, /*replacement=*/true, gen);
    const at::Tensor std_dev = (variances_.index_select(0, k) + h).sqrt().unsqueeze(1);
    const at::Tensor z = at::randn({n, dim_}, gen, at::TensorOptions().dtype(at::kDouble));
    return means_.index_select(0, k) + std_dev * z;
}

at::Tensor GaussianMixture::mode_assignment(const at::Tensor& x) const {
    PITA_CHECK(x.defined() && x.dim() >= 1 && x.numel() == x.size(0) * dim_ &&
                   (x.dim() == 2 || (x.dim() == 3 && x.size(1) == 1)),
               "[gmm] mode_assignment: wrong x shape: got {}; expected [batch, {}] or "
               "[batch, 1, {}].",
               shape_of(x), dim_, dim_);
    const at::Tensor flat = x.reshape({x.size(0), dim_});
    const at::Tensor h0 = at::zeros({}, flat.options());
    check_input(flat, h0, "mode_assignment");
    return terms(flat, h0).log_joint.argmax(1);
}

std::unique_ptr<GaussianMixture> GaussianMixture::tempered_approximation(double temperature) const {
    PITA_CHECK(std::isfinite(temperature) && temperature > 0,
               "[gmm] tempered_approximation: temperature: got {}; expected a finite T > 0.",
               temperature);
    const double inv_t = 1.0 / temperature;
    const auto d = static_cast<double>(dim_);
    // Mode k of p^{1/T}: (w_k N_k)^{1/T} integrates to w_k^{1/T} (2π v_k)^{d(1−1/T)/2} T^{d/2};
    // the common T^{d/2} cancels on normalising.
    const at::Tensor log_w =
        inv_t * weights_.log() + 0.5 * d * (1.0 - inv_t) * ((2.0 * kPi) * variances_).log();
    return std::make_unique<GaussianMixture>(means_, variances_ * temperature,
                                             at::softmax(log_w, 0));
}

at::Tensor GaussianMixture::compute_energy(const at::Tensor& x) const {
    const at::Tensor flat = x.reshape({x.size(0), dim_});
    return -at::logsumexp(terms(flat, at::zeros({}, flat.options())).log_joint, {1});
}

EnergyAndForce GaussianMixture::compute_energy_and_force(const at::Tensor& x) const {
    const at::Tensor flat = x.reshape({x.size(0), dim_});
    const Terms t = terms(flat, at::zeros({}, flat.options()));
    // E = −log p, so the force −∇E is the score at h = 0.
    const at::Tensor force = mixture_score(at::softmax(t.log_joint, 1), t.var, t.diff);
    return {-at::logsumexp(t.log_joint, {1}), force.reshape(x.sizes())};
}

}  // namespace pita
