// Coulomb + Lennard-Jones (OpenMM NonbondedForce with NoCutoff or CutoffNonPeriodic); the
// formulas are in force_term_impl.h next to NonbondedParams.
#include <cmath>
#include <utility>
#include <vector>

#include <ATen/ATen.h>

#include "pita/core/units.h"
#include "pita/molecule/force_term_impl.h"

namespace pita::detail {
namespace {

/// Distances of the listed pairs: [batch, p].
at::Tensor pair_distances(const at::Tensor& x, const at::Tensor& pairs) {
    const at::Tensor idx = pairs.to(x.device());
    const at::Tensor d = x.index_select(1, idx.select(1, 1)) - x.index_select(1, idx.select(1, 0));
    return d.pow(2).sum(-1).sqrt();
}

at::Tensor lennard_jones(const at::Tensor& r, const at::Tensor& sigma, const at::Tensor& epsilon) {
    const at::Tensor s6 = (sigma / r).pow(6);
    return 4.0 * epsilon * (s6 * s6 - s6);
}

class NonbondedTerm final : public ForceTerm {
  public:
    explicit NonbondedTerm(NonbondedParams p) : p_(std::move(p)) {
        pairs_ = flat_long(p_.pairs);
        qq_ = flat(p_.charge_prod);
        sigma_ = flat(p_.sigma);
        epsilon_ = flat(p_.epsilon);
        exc_pairs_ = flat_long(p_.exception_pairs);
        exc_qq_ = flat(p_.exception_charge_prod);
        exc_sigma_ = flat(p_.exception_sigma);
        exc_epsilon_ = flat(p_.exception_epsilon);
    }

    double energy_cpu(const double* x, double* grad) const override {
        double e = 0;
        const double rc2 = p_.cutoff * p_.cutoff;
        for (size_t k = 0; k < qq_.size(); ++k) {
            const int64_t i = pairs_[2 * k], j = pairs_[2 * k + 1];
            double d[3], r2 = 0;
            for (int c = 0; c < 3; ++c) {
                d[c] = x[3 * j + c] - x[3 * i + c];
                r2 += d[c] * d[c];
            }
            // Written as !(r2 < rc2) so that a NaN distance is not skipped.
            if (p_.use_cutoff && !(r2 < rc2 || std::isnan(r2))) continue;
            const double r = std::sqrt(r2);
            double de_dr = 0;
            e +=
                pair_energy(r, kOne4PiEps0 * qq_[k], sigma_[k], epsilon_[k], p_.use_cutoff, &de_dr);
            if (grad != nullptr) scatter(grad, i, j, d, de_dr / r);
        }
        for (size_t k = 0; k < exc_qq_.size(); ++k) {
            const int64_t i = exc_pairs_[2 * k], j = exc_pairs_[2 * k + 1];
            double d[3], r2 = 0;
            for (int c = 0; c < 3; ++c) {
                d[c] = x[3 * j + c] - x[3 * i + c];
                r2 += d[c] * d[c];
            }
            const double r = std::sqrt(r2);
            double de_dr = 0;
            e += pair_energy(r, kOne4PiEps0 * exc_qq_[k], exc_sigma_[k], exc_epsilon_[k], false,
                             &de_dr);
            if (grad != nullptr) scatter(grad, i, j, d, de_dr / r);
        }
        return e;
    }

    at::Tensor energy(const at::Tensor& x) const override {
        const auto opts = x.options();
        const at::Tensor r = pair_distances(x, p_.pairs);
        const at::Tensor qq = kOne4PiEps0 * p_.charge_prod.to(opts);
        at::Tensor e = lennard_jones(r, p_.sigma.to(opts), p_.epsilon.to(opts));
        if (p_.use_cutoff) {
            // A 0/1 factor, not at::where: a NaN distance must keep the row's energy NaN.
            const at::Tensor inside = (r < p_.cutoff).to(x.scalar_type());
            e = (e + qq * (r.reciprocal() + p_.k_rf * r.pow(2) - p_.c_rf)) * inside;
        } else {
            e = e + qq / r;
        }
        const at::Tensor r14 = pair_distances(x, p_.exception_pairs);
        const at::Tensor e14 =
            lennard_jones(r14, p_.exception_sigma.to(opts), p_.exception_epsilon.to(opts)) +
            kOne4PiEps0 * p_.exception_charge_prod.to(opts) / r14;
        return sum_terms(e) + sum_terms(e14);
    }

  private:
    /// LJ + Coulomb (reaction field when `reaction_field`) of one pair, and ∂E/∂r.
    double pair_energy(double r, double kqq, double sigma, double epsilon, bool reaction_field,
                       double* de_dr) const {
        const double inv_r = 1.0 / r;
        const double s2 = sigma * sigma * inv_r * inv_r;
        const double s6 = s2 * s2 * s2;
        double e = 4.0 * epsilon * (s6 * s6 - s6);
        double d = 4.0 * epsilon * (-12.0 * s6 * s6 + 6.0 * s6) * inv_r;
        if (reaction_field) {
            e += kqq * (inv_r + p_.k_rf * r * r - p_.c_rf);
            d += kqq * (-inv_r * inv_r + 2.0 * p_.k_rf * r);
        } else {
            e += kqq * inv_r;
            d -= kqq * inv_r * inv_r;
        }
        *de_dr = d;
        return e;
    }
    static void scatter(double* grad, int64_t i, int64_t j, const double* d, double c) {
        for (int k = 0; k < 3; ++k) {
            grad[3 * j + k] += c * d[k];
            grad[3 * i + k] -= c * d[k];
        }
    }
    static std::vector<int64_t> flat_long(const at::Tensor& t) {
        const at::Tensor c = t.to(at::kLong).contiguous();
        return {c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel()};
    }
    static std::vector<double> flat(const at::Tensor& t) {
        const at::Tensor c = t.to(at::kDouble).contiguous();
        return {c.data_ptr<double>(), c.data_ptr<double>() + c.numel()};
    }

    NonbondedParams p_;
    std::vector<int64_t> pairs_, exc_pairs_;
    std::vector<double> qq_, sigma_, epsilon_, exc_qq_, exc_sigma_, exc_epsilon_;
};

}  // namespace

std::unique_ptr<ForceTerm> make_nonbonded_term(NonbondedParams params) {
    return std::make_unique<NonbondedTerm>(std::move(params));
}

}  // namespace pita::detail
