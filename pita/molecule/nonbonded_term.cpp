// Coulomb + Lennard-Jones (OpenMM NonbondedForce with NoCutoff or CutoffNonPeriodic); the
// formulas are in force_term_impl.h next to NonbondedParams.
#include <cmath>
#include <utility>

#include <ATen/ATen.h>

#include "pita/molecule/force_term_impl.h"
#include "pita/molecule/units.h"

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
    explicit NonbondedTerm(NonbondedParams p) : p_(std::move(p)) {}

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
    NonbondedParams p_;
};

}  // namespace

std::unique_ptr<ForceTerm> make_nonbonded_term(NonbondedParams params) {
    return std::make_unique<NonbondedTerm>(std::move(params));
}

}  // namespace pita::detail
