#pragma once
// Variance-exploding noise schedules (spec §2). A schedule maps diffusion time t ∈ [0, 1] to the
// noise variance h(t) = σ(t)², with h(0) = σ_min² (the data end) and h(1) = σ_max² (the prior
// end). The forward SDE is dx = g(t) dW with g² = dh/dt, so both h and g come from one closed form.
//
//   NoiseSchedule s = NoiseSchedule::elucidating(0.05);  // LJ13: σ_min 0.05, σ_max 80, ρ 7
//   double h = s.h(0.3), g2 = s.g2(0.3), t = s.t_of_h(h);  // t == 0.3 up to rounding
#include <cstdint>

#include <nlohmann/json_fwd.hpp>

#include "pita/core/tensor_fwd.h"

namespace pita {

class ConfigNode;

enum class NoiseScheduleKind {
    /// EDM (Karras et al. 2022) ρ-schedule; the one every PITA experiment uses.
    Elucidating,
    /// σ(t) = σ_min·(σ_max/σ_min)^t; unused by PITA, kept for comparison.
    Geometric,
};

/// A noise schedule: a small immutable value, cheap to copy and safe to share between threads.
/// Scalar functions take t ∈ [0, 1] (h ∈ [σ_min², σ_max²] for t_of_h); outside that range they
/// extrapolate the closed form without checking. Tensor overloads act elementwise, compute in
/// float64 and return a tensor with the dtype and device of their argument.
class NoiseSchedule {
  public:
    /// Spec §2: h(t) = (a + (1 − t)·b)^{2ρ}, a = σ_max^{1/ρ}, b = σ_min^{1/ρ} − σ_max^{1/ρ};
    /// training noise ln σ ~ N(p_mean, p_std²), not clamped to [σ_min, σ_max] (as the reference).
    /// @throws ConfigError unless 0 < σ_min < σ_max (finite), ρ > 0 and p_std > 0
    static NoiseSchedule elucidating(double sigma_min, double sigma_max = 80.0, double rho = 7.0,
                                     double p_mean = -1.2, double p_std = 1.2);
    /// h(t) = σ_min²·d^{2t}, d = σ_max/σ_min; training noise ln σ ~ U[ln σ_min, ln σ_max].
    /// The reference's h is this minus σ_min² (see noise_schedule.cpp); g is the same.
    /// @throws ConfigError unless 0 < σ_min < σ_max (finite)
    static NoiseSchedule geometric(double sigma_min, double sigma_max = 80.0);

    /// The same schedule (kind, σ_max, ρ, training noise) ending at another σ_min, e.g. a
    /// sampling grid that stops above the training one (anneal.sigma_min).
    /// @throws ConfigError unless 0 < sigma_min < σ_max
    NoiseSchedule with_sigma_min(double sigma_min) const;

    NoiseScheduleKind kind() const { return kind_; }
    double sigma_min() const { return sigma_min_; }
    double sigma_max() const { return sigma_max_; }
    /// ρ of the elucidating schedule (unused by the geometric one).
    double rho() const { return rho_; }
    /// Mean and standard deviation of the elucidating training ln σ (unused by the geometric one).
    double p_mean() const { return p_mean_; }
    double p_std() const { return p_std_; }

    /// Noise variance h(t) = σ(t)², in the data's squared length units.
    double h(double t) const;
    /// Noise standard deviation σ(t) = sqrt(h(t)).
    double sigma(double t) const;
    /// dh/dt (> 0).
    double dh_dt(double t) const;
    /// Squared diffusion coefficient, g² = dh/dt.
    double g2(double t) const;
    /// Diffusion coefficient g = sqrt(dh/dt).
    double g(double t) const;
    /// The inverse of h: t_of_h(h(t)) = t.
    double t_of_h(double h) const;

    /// @param t  any shape, floating dtype, any device  @return same shape, dtype and device
    /// @throws ConfigError if t is not a floating-point tensor (likewise for the overloads below)
    at::Tensor h(const at::Tensor& t) const;
    at::Tensor sigma(const at::Tensor& t) const;
    at::Tensor dh_dt(const at::Tensor& t) const;
    at::Tensor g2(const at::Tensor& t) const;
    at::Tensor g(const at::Tensor& t) const;
    /// @param h  noise variances, any shape, floating dtype  @return t, same shape/dtype/device
    at::Tensor t_of_h(const at::Tensor& h) const;

    /// Draws n training noise levels h = σ² (spec §2; ln σ drawn in float64, then cast).
    /// @param gen      a generator for options' device
    /// @param options  dtype (floating) and device of the result
    /// @return [n]
    /// @throws ConfigError if n < 0 or options' dtype is not floating-point
    at::Tensor sample_training_h(int64_t n, at::Generator& gen, at::TensorOptions options) const;

    /// The resolved settings, e.g. {"type": "elucidating", "sigma_min": 0.05, ...}.
    nlohmann::json config() const;

  private:
    NoiseSchedule(NoiseScheduleKind kind, double sigma_min, double sigma_max, double rho,
                  double p_mean, double p_std);

    NoiseScheduleKind kind_;
    double sigma_min_;
    double sigma_max_;
    double rho_;
    double p_mean_;
    double p_std_;
    // Derived constants: a, b of the elucidating form; ln d of the geometric one.
    double a_ = 0.0;
    double b_ = 0.0;
    double log_d_ = 0.0;
};

/// Builds a schedule from `node`: type (elucidating | geometric, default elucidating), sigma_min
/// (required: the reference experiments override the 0.002 default, e.g. LJ13 0.05, ALDP 0.01),
/// sigma_max (80), and for elucidating only rho (7), p_mean (−1.2), p_std (1.2). Bad values are
/// recorded on the node and reported together by Config::finish(); the schedule returned in that
/// case holds placeholder values and must not be used.
NoiseSchedule make_noise_schedule(const ConfigNode& node);

}  // namespace pita
