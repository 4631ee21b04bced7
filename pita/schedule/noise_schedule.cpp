#include "pita/schedule/noise_schedule.h"

#include <cmath>
#include <string>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include "pita/config/config.h"
#include "pita/core/error.h"

// The geometric schedule. The reference (spec §2; noise_schedules.py) sets
//   h_ref(t) = σ_min²(d^{2t} − 1) = ∫_0^t g² dz,   g = σ_min d^t sqrt(2 ln d),
// the variance added since t = 0 (EDM eq. 199). That is self-consistent (g² = dh_ref/dt) but
// h_ref(0) = 0 and h_ref(1) = σ_max² − σ_min², unlike the elucidating schedule, and with h = 0 at
// t = 0 the preconditioning and the loss weight λ(h) = (1 + h)/h divide by zero. Its training
// noise, ln σ ~ U[ln σ_min, ln σ_max] with h = σ², also covers [σ_min², σ_max²], which h_ref maps
// to t ∈ [ln 2/(2 ln d), ln(1 + d²)/(2 ln d)] instead of [0, 1]. So pita uses the total variance
//   h(t) = σ_min² d^{2t} = h_ref(t) + σ_min²,
// which has the same g and dh/dt (a constant shift), h(0) = σ_min², h(1) = σ_max², the same
// identities as the elucidating schedule, and under which the training ln σ is uniform in t.
// PITA's experiments never use it, so no reference result depends on the difference.

namespace pita {

namespace {

void check_sigmas(double sigma_min, double sigma_max) {
    PITA_CHECK(std::isfinite(sigma_min) && sigma_min > 0,
               "[noise_schedule] sigma_min: got {}; expected a finite number > 0.", sigma_min);
    PITA_CHECK(std::isfinite(sigma_max) && sigma_max > sigma_min,
               "[noise_schedule] sigma_max: got {}; expected a finite number > sigma_min = {}.",
               sigma_max, sigma_min);
}

void check_floating(const at::Tensor& x, const char* what) {
    PITA_CHECK(x.defined() && x.is_floating_point(),
               "[noise_schedule] {}: got a tensor of dtype {}; expected a floating-point dtype.",
               what, x.defined() ? std::string(c10::toString(x.scalar_type())) : "undefined");
}

}  // namespace

NoiseSchedule::NoiseSchedule(NoiseScheduleKind kind, double sigma_min, double sigma_max, double rho,
                             double p_mean, double p_std)
    : kind_(kind),
      sigma_min_(sigma_min),
      sigma_max_(sigma_max),
      rho_(rho),
      p_mean_(p_mean),
      p_std_(p_std) {
    check_sigmas(sigma_min_, sigma_max_);
    if (kind_ == NoiseScheduleKind::Elucidating) {
        PITA_CHECK(std::isfinite(rho_) && rho_ > 0,
                   "[noise_schedule] rho: got {}; expected a finite number > 0 (EDM uses 7).",
                   rho_);
        PITA_CHECK(std::isfinite(p_mean_), "[noise_schedule] p_mean: got {}; expected finite.",
                   p_mean_);
        PITA_CHECK(std::isfinite(p_std_) && p_std_ > 0,
                   "[noise_schedule] p_std: got {}; expected a finite number > 0.", p_std_);
        a_ = std::pow(sigma_max_, 1.0 / rho_);
        b_ = std::pow(sigma_min_, 1.0 / rho_) - a_;
    }
    log_d_ = std::log(sigma_max_ / sigma_min_);
}

NoiseSchedule NoiseSchedule::elucidating(double sigma_min, double sigma_max, double rho,
                                         double p_mean, double p_std) {
    return {NoiseScheduleKind::Elucidating, sigma_min, sigma_max, rho, p_mean, p_std};
}

NoiseSchedule NoiseSchedule::geometric(double sigma_min, double sigma_max) {
    // ρ, p_mean and p_std do not apply; store the elucidating defaults so config() stays simple.
    return {NoiseScheduleKind::Geometric, sigma_min, sigma_max, 7.0, -1.2, 1.2};
}

NoiseSchedule NoiseSchedule::with_sigma_min(double sigma_min) const {
    return {kind_, sigma_min, sigma_max_, rho_, p_mean_, p_std_};
}

// ---- scalar forms (spec §2) --------------------------------------------------------------------

double NoiseSchedule::h(double t) const {
    if (kind_ == NoiseScheduleKind::Elucidating) return std::pow(a_ + (1.0 - t) * b_, 2.0 * rho_);
    return sigma_min_ * sigma_min_ * std::exp(2.0 * log_d_ * t);
}

double NoiseSchedule::sigma(double t) const { return std::sqrt(h(t)); }

double NoiseSchedule::dh_dt(double t) const {
    if (kind_ == NoiseScheduleKind::Elucidating)
        return -2.0 * rho_ * b_ * std::pow(a_ + (1.0 - t) * b_, 2.0 * rho_ - 1.0);
    return 2.0 * log_d_ * h(t);
}

double NoiseSchedule::g2(double t) const { return dh_dt(t); }

double NoiseSchedule::g(double t) const { return std::sqrt(dh_dt(t)); }

double NoiseSchedule::t_of_h(double h) const {
    if (kind_ == NoiseScheduleKind::Elucidating)
        return 1.0 - (std::pow(h, 1.0 / (2.0 * rho_)) - a_) / b_;
    return std::log(h / (sigma_min_ * sigma_min_)) / (2.0 * log_d_);
}

// ---- tensor forms: the same expressions, elementwise in float64 ---------------------------------

at::Tensor NoiseSchedule::h(const at::Tensor& t) const {
    check_floating(t, "t");
    const at::Tensor t64 = t.to(at::kDouble);
    at::Tensor out = kind_ == NoiseScheduleKind::Elucidating
                         ? (a_ + (1.0 - t64) * b_).pow(2.0 * rho_)
                         : sigma_min_ * sigma_min_ * (2.0 * log_d_ * t64).exp();
    return out.to(t.scalar_type());
}

at::Tensor NoiseSchedule::sigma(const at::Tensor& t) const {
    check_floating(t, "t");
    return h(t.to(at::kDouble)).sqrt().to(t.scalar_type());
}

at::Tensor NoiseSchedule::dh_dt(const at::Tensor& t) const {
    check_floating(t, "t");
    const at::Tensor t64 = t.to(at::kDouble);
    at::Tensor out = kind_ == NoiseScheduleKind::Elucidating
                         ? -2.0 * rho_ * b_ * (a_ + (1.0 - t64) * b_).pow(2.0 * rho_ - 1.0)
                         : 2.0 * log_d_ * h(t64);
    return out.to(t.scalar_type());
}

at::Tensor NoiseSchedule::g2(const at::Tensor& t) const { return dh_dt(t); }

at::Tensor NoiseSchedule::g(const at::Tensor& t) const {
    check_floating(t, "t");
    return dh_dt(t.to(at::kDouble)).sqrt().to(t.scalar_type());
}

at::Tensor NoiseSchedule::t_of_h(const at::Tensor& h) const {
    check_floating(h, "h");
    const at::Tensor h64 = h.to(at::kDouble);
    at::Tensor out = kind_ == NoiseScheduleKind::Elucidating
                         ? 1.0 - (h64.pow(1.0 / (2.0 * rho_)) - a_) / b_
                         : (h64 / (sigma_min_ * sigma_min_)).log() / (2.0 * log_d_);
    return out.to(h.scalar_type());
}

at::Tensor NoiseSchedule::sample_training_h(int64_t n, at::Generator& gen,
                                            at::TensorOptions options) const {
    PITA_CHECK(n >= 0, "[noise_schedule] sample_training_h: got n = {}; expected n >= 0.", n);
    const at::ScalarType dtype = c10::typeMetaToScalarType(options.dtype());
    PITA_CHECK(at::isFloatingType(dtype),
               "[noise_schedule] sample_training_h: got dtype {}; expected a floating-point dtype.",
               c10::toString(dtype));
    const at::TensorOptions f64 = options.dtype(at::kDouble);
    at::Tensor log_sigma;
    if (kind_ == NoiseScheduleKind::Elucidating) {
        log_sigma = at::randn({n}, gen, f64) * p_std_ + p_mean_;
    } else {
        const double lo = std::log(sigma_min_);
        log_sigma = at::rand({n}, gen, f64) * (std::log(sigma_max_) - lo) + lo;
    }
    return (2.0 * log_sigma).exp().to(dtype);
}

nlohmann::json NoiseSchedule::config() const {
    if (kind_ == NoiseScheduleKind::Geometric)
        return {{"type", "geometric"}, {"sigma_min", sigma_min_}, {"sigma_max", sigma_max_}};
    return {{"type", "elucidating"}, {"sigma_min", sigma_min_}, {"sigma_max", sigma_max_},
            {"rho", rho_},           {"p_mean", p_mean_},       {"p_std", p_std_}};
}

// ---- factory
// -------------------------------------------------------------------------------------

NoiseSchedule make_noise_schedule(const ConfigNode& node) {
    const std::size_t errors_before = node.error_count();
    const std::string type = node.get_choice("type", "elucidating", {"elucidating", "geometric"});
    double sigma_min = 0.0;
    if (node.has("sigma_min")) {
        sigma_min = node.get_double("sigma_min", 0.0, Bounds::above(0));
    } else {
        node.get_double("sigma_min", 0.0);  // reports `sigma_min:` without a value
        node.error("sigma_min",
                   "missing: expected a finite number > 0. Every experiment sets it (the "
                   "reference uses 0.05 for LJ13 and 0.01 for ALDP/AL3).");
    }
    const double sigma_max = node.get_double("sigma_max", 80.0, Bounds::above(0));
    if (node.error_count() == errors_before && !(sigma_max > sigma_min))
        node.error("sigma_max", fmt::format("out of range: got {:g}; expected a number > "
                                            "sigma_min = {:g}.",
                                            sigma_max, sigma_min));
    double rho = 7.0;
    double p_mean = -1.2;
    double p_std = 1.2;
    if (type == "elucidating") {
        rho = node.get_double("rho", rho, Bounds::above(0));  // EDM uses 7
        p_mean = node.get_double("p_mean", p_mean);
        p_std = node.get_double("p_std", p_std, Bounds::above(0));
    }
    // A placeholder keeps construction from throwing before finish() can list every problem.
    if (node.error_count() != errors_before) return NoiseSchedule::elucidating(0.002);
    if (type == "geometric") return NoiseSchedule::geometric(sigma_min, sigma_max);
    return NoiseSchedule::elucidating(sigma_min, sigma_max, rho, p_mean, p_std);
}

}  // namespace pita
