// Bonds, angles and proper torsions (OpenMM HarmonicBondForce, HarmonicAngleForce,
// PeriodicTorsionForce) on a batch, with LibTorch ops so autograd gives the forces.
#include <utility>

#include <ATen/ATen.h>

#include "pita/molecule/force_term_impl.h"

namespace pita::detail {
namespace {

/// Positions of the k-th atom of every entry: [batch, n, 3].
at::Tensor atom_column(const at::Tensor& x, const at::Tensor& atoms, int64_t k) {
    return x.index_select(1, atoms.select(1, k).to(x.device()));
}

at::Tensor like(const at::Tensor& param, const at::Tensor& x) { return param.to(x.options()); }

class HarmonicBondTerm final : public ForceTerm {
  public:
    explicit HarmonicBondTerm(HarmonicBondParams p) : p_(std::move(p)) {}
    at::Tensor energy(const at::Tensor& x) const override {
        const at::Tensor d = atom_column(x, p_.atoms, 1) - atom_column(x, p_.atoms, 0);
        const at::Tensor r = d.pow(2).sum(-1).sqrt();
        return sum_terms(0.5 * like(p_.k, x) * (r - like(p_.r0, x)).pow(2));
    }

  private:
    HarmonicBondParams p_;
};

class HarmonicAngleTerm final : public ForceTerm {
  public:
    explicit HarmonicAngleTerm(HarmonicAngleParams p) : p_(std::move(p)) {}
    at::Tensor energy(const at::Tensor& x) const override {
        const at::Tensor centre = atom_column(x, p_.atoms, 1);
        const at::Tensor u = atom_column(x, p_.atoms, 0) - centre;
        const at::Tensor v = atom_column(x, p_.atoms, 2) - centre;
        // atan2(|u×v|, u·v) rather than acos: its gradient stays finite near 0 and π.
        const at::Tensor theta =
            at::atan2(at::cross(u, v, -1).pow(2).sum(-1).sqrt(), (u * v).sum(-1));
        return sum_terms(0.5 * like(p_.k, x) * (theta - like(p_.theta0, x)).pow(2));
    }

  private:
    HarmonicAngleParams p_;
};

class PeriodicTorsionTerm final : public ForceTerm {
  public:
    explicit PeriodicTorsionTerm(PeriodicTorsionParams p) : p_(std::move(p)) {}
    at::Tensor energy(const at::Tensor& x) const override {
        const at::Tensor b1 = atom_column(x, p_.atoms, 1) - atom_column(x, p_.atoms, 0);
        const at::Tensor b2 = atom_column(x, p_.atoms, 2) - atom_column(x, p_.atoms, 1);
        const at::Tensor b3 = atom_column(x, p_.atoms, 3) - atom_column(x, p_.atoms, 2);
        const at::Tensor n1 = at::cross(b1, b2, -1);
        const at::Tensor n2 = at::cross(b2, b3, -1);
        // IUPAC sign convention (trans = ±π), the one OpenMM uses.
        const at::Tensor b2_norm = b2.pow(2).sum(-1).sqrt();
        const at::Tensor phi = at::atan2(b2_norm * (b1 * n2).sum(-1), (n1 * n2).sum(-1));
        const at::Tensor e =
            like(p_.k, x) * (1.0 + at::cos(like(p_.periodicity, x) * phi - like(p_.phase, x)));
        return sum_terms(e);
    }

  private:
    PeriodicTorsionParams p_;
};

}  // namespace

std::unique_ptr<ForceTerm> make_harmonic_bond_term(HarmonicBondParams params) {
    return std::make_unique<HarmonicBondTerm>(std::move(params));
}
std::unique_ptr<ForceTerm> make_harmonic_angle_term(HarmonicAngleParams params) {
    return std::make_unique<HarmonicAngleTerm>(std::move(params));
}
std::unique_ptr<ForceTerm> make_periodic_torsion_term(PeriodicTorsionParams params) {
    return std::make_unique<PeriodicTorsionTerm>(std::move(params));
}

}  // namespace pita::detail
