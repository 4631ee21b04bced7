// Bonds, angles and proper torsions (OpenMM HarmonicBondForce, HarmonicAngleForce,
// PeriodicTorsionForce) on a batch, with LibTorch ops so autograd gives the forces.
#include <array>
#include <cmath>
#include <map>
#include <utility>
#include <vector>

#include <ATen/ATen.h>

#include "pita/molecule/force_term_impl.h"
#include "pita/molecule/torsions.h"

namespace pita::detail {
namespace {

/// Positions of the k-th atom of every entry: [batch, n, 3].
at::Tensor atom_column(const at::Tensor& x, const at::Tensor& atoms, int64_t k) {
    return x.index_select(1, atoms.select(1, k).to(x.device()));
}

at::Tensor like(const at::Tensor& param, const at::Tensor& x) { return param.to(x.options()); }

std::vector<int64_t> to_vector_long(const at::Tensor& t) {
    const at::Tensor c = t.to(at::kLong).contiguous();
    return {c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel()};
}
std::vector<double> to_vector(const at::Tensor& t) {
    const at::Tensor c = t.to(at::kDouble).contiguous();
    return {c.data_ptr<double>(), c.data_ptr<double>() + c.numel()};
}

struct Vec3 {
    double x, y, z;
};
Vec3 operator-(Vec3 a, Vec3 b) { return {a.x - b.x, a.y - b.y, a.z - b.z}; }
Vec3 operator+(Vec3 a, Vec3 b) { return {a.x + b.x, a.y + b.y, a.z + b.z}; }
Vec3 operator*(double c, Vec3 a) { return {c * a.x, c * a.y, c * a.z}; }
double dot(Vec3 a, Vec3 b) { return a.x * b.x + a.y * b.y + a.z * b.z; }
Vec3 cross(Vec3 a, Vec3 b) {
    return {a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x};
}
Vec3 load(const double* x, int64_t i) { return {x[3 * i], x[3 * i + 1], x[3 * i + 2]}; }
void add(double* grad, int64_t i, Vec3 g) {
    grad[3 * i] += g.x;
    grad[3 * i + 1] += g.y;
    grad[3 * i + 2] += g.z;
}

class HarmonicBondTerm final : public ForceTerm {
  public:
    explicit HarmonicBondTerm(HarmonicBondParams p)
        : p_(std::move(p)),
          atoms_(to_vector_long(p_.atoms)),
          r0_(to_vector(p_.r0)),
          k_(to_vector(p_.k)) {}
    double energy_cpu(const double* x, double* grad) const override {
        double e = 0;
        for (size_t b = 0; b < r0_.size(); ++b) {
            const int64_t i = atoms_[2 * b], j = atoms_[2 * b + 1];
            const Vec3 d = load(x, j) - load(x, i);
            const double r = std::sqrt(dot(d, d));
            const double dr = r - r0_[b];
            e += 0.5 * k_[b] * dr * dr;
            if (grad != nullptr) {
                const Vec3 g = (k_[b] * dr / r) * d;
                add(grad, j, g);
                add(grad, i, -1.0 * g);
            }
        }
        return e;
    }
    at::Tensor energy(const at::Tensor& x) const override {
        const at::Tensor d = atom_column(x, p_.atoms, 1) - atom_column(x, p_.atoms, 0);
        const at::Tensor r = d.pow(2).sum(-1).sqrt();
        return sum_terms(0.5 * like(p_.k, x) * (r - like(p_.r0, x)).pow(2));
    }

  private:
    HarmonicBondParams p_;
    std::vector<int64_t> atoms_;
    std::vector<double> r0_, k_;
};

class HarmonicAngleTerm final : public ForceTerm {
  public:
    explicit HarmonicAngleTerm(HarmonicAngleParams p)
        : p_(std::move(p)),
          atoms_(to_vector_long(p_.atoms)),
          theta0_(to_vector(p_.theta0)),
          k_(to_vector(p_.k)) {}
    double energy_cpu(const double* x, double* grad) const override {
        double e = 0;
        for (size_t a = 0; a < k_.size(); ++a) {
            const int64_t i = atoms_[3 * a], c = atoms_[3 * a + 1], j = atoms_[3 * a + 2];
            const Vec3 u = load(x, i) - load(x, c);
            const Vec3 v = load(x, j) - load(x, c);
            const Vec3 w = cross(u, v);
            const double uv = dot(u, v), cross_norm = std::sqrt(dot(w, w));
            const double theta = std::atan2(cross_norm, uv);
            const double dtheta = theta - theta0_[a];
            e += 0.5 * k_[a] * dtheta * dtheta;
            if (grad != nullptr) {
                // ∂θ/∂u = (u·v/|u|² u − v)/|u×v|, and symmetrically for v.
                const double c_e = k_[a] * dtheta / cross_norm;
                const Vec3 gu = c_e * ((uv / dot(u, u)) * u - v);
                const Vec3 gv = c_e * ((uv / dot(v, v)) * v - u);
                add(grad, i, gu);
                add(grad, j, gv);
                add(grad, c, -1.0 * (gu + gv));
            }
        }
        return e;
    }
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
    std::vector<int64_t> atoms_;
    std::vector<double> theta0_, k_;
};

class PeriodicTorsionTerm final : public ForceTerm {
  public:
    explicit PeriodicTorsionTerm(PeriodicTorsionParams p)
        : p_(std::move(p)),
          atoms_(to_vector_long(p_.atoms)),
          periodicity_(to_vector(p_.periodicity)),
          phase_(to_vector(p_.phase)),
          k_(to_vector(p_.k)) {
        // Terms grouped by dihedral (amber gives one dihedral up to four terms), so that the
        // geometry and its gradient are computed once per dihedral.
        std::map<std::array<int64_t, 4>, std::vector<size_t>> terms_of;
        std::vector<std::array<int64_t, 4>> order;
        for (size_t t = 0; t < k_.size(); ++t) {
            const std::array<int64_t, 4> quad{atoms_[4 * t], atoms_[4 * t + 1], atoms_[4 * t + 2],
                                              atoms_[4 * t + 3]};
            auto& list = terms_of[quad];
            if (list.empty()) order.push_back(quad);
            list.push_back(t);
        }
        first_term_.push_back(0);
        for (const auto& quad : order) {
            dihedrals_.push_back(quad);
            for (const size_t t : terms_of[quad]) {
                term_k_.push_back(k_[t]);
                term_periodicity_.push_back(periodicity_[t]);
                term_n_.push_back(static_cast<int>(periodicity_[t]));
                term_cos_phase_.push_back(std::cos(phase_[t]));
                term_sin_phase_.push_back(std::sin(phase_[t]));
            }
            first_term_.push_back(term_k_.size());
        }
    }
    double energy_cpu(const double* x, double* grad) const override {
        double e = 0;
        for (size_t d = 0; d < dihedrals_.size(); ++d) {
            const auto [a0, a1, a2, a3] = dihedrals_[d];
            const Vec3 b1 = load(x, a1) - load(x, a0);
            const Vec3 b2 = load(x, a2) - load(x, a1);
            const Vec3 b3 = load(x, a3) - load(x, a2);
            const Vec3 m = cross(b1, b2), n = cross(b2, b3);
            const double b2_norm = std::sqrt(dot(b2, b2));
            // φ = atan2(y, x); cos(n·φ − φ0) and sin(n·φ − φ0) from cos φ and sin φ by complex
            // powers (n is a small integer), without atan2, cos and sin per term.
            const double y = b2_norm * dot(b1, n), xx = dot(m, n);
            const double h = std::sqrt(xx * xx + y * y);
            double cos_phi = 1.0, sin_phi = 0.0;  // atan2(0, 0) = 0
            if (h != 0.0) {
                cos_phi = xx / h;
                sin_phi = y / h;
            }
            double de_dphi = 0;
            for (size_t t = first_term_[d]; t < first_term_[d + 1]; ++t) {
                double cos_n = cos_phi, sin_n = sin_phi;
                for (int q = 1; q < term_n_[t]; ++q) {
                    const double c = cos_n * cos_phi - sin_n * sin_phi;
                    sin_n = sin_n * cos_phi + cos_n * sin_phi;
                    cos_n = c;
                }
                const double cos_arg = cos_n * term_cos_phase_[t] + sin_n * term_sin_phase_[t];
                const double sin_arg = sin_n * term_cos_phase_[t] - cos_n * term_sin_phase_[t];
                e += term_k_[t] * (1.0 + cos_arg);
                de_dphi += -term_k_[t] * term_periodicity_[t] * sin_arg;
            }
            if (grad != nullptr) {
                // Blondel & Karplus (1996): ∂φ/∂x0 = −|b2|/|m|²·m, ∂φ/∂x3 = |b2|/|n|²·n; the
                // middle atoms follow from translation and rotation invariance.
                const Vec3 g0 = (-b2_norm / dot(m, m)) * m;
                const Vec3 g3 = (b2_norm / dot(n, n)) * n;
                const double p = dot(b1, b2) / dot(b2, b2), q = dot(b3, b2) / dot(b2, b2);
                const Vec3 g1 = (-1.0 - p) * g0 + q * g3;
                const Vec3 g2 = p * g0 + (-1.0 - q) * g3;
                add(grad, a0, de_dphi * g0);
                add(grad, a1, de_dphi * g1);
                add(grad, a2, de_dphi * g2);
                add(grad, a3, de_dphi * g3);
            }
        }
        return e;
    }
    at::Tensor energy(const at::Tensor& x) const override {
        const at::Tensor b1 = atom_column(x, p_.atoms, 1) - atom_column(x, p_.atoms, 0);
        const at::Tensor b2 = atom_column(x, p_.atoms, 2) - atom_column(x, p_.atoms, 1);
        const at::Tensor b3 = atom_column(x, p_.atoms, 3) - atom_column(x, p_.atoms, 2);
        // IUPAC sign convention (trans = ±π), the one OpenMM uses.
        const at::Tensor phi = dihedral_of_bonds(b1, b2, b3);
        const at::Tensor e =
            like(p_.k, x) * (1.0 + at::cos(like(p_.periodicity, x) * phi - like(p_.phase, x)));
        return sum_terms(e);
    }

  private:
    PeriodicTorsionParams p_;
    std::vector<int64_t> atoms_;
    std::vector<double> periodicity_, phase_, k_;
    // The CPU loop's layout: unique dihedrals, and their terms in runs.
    std::vector<std::array<int64_t, 4>> dihedrals_;
    std::vector<size_t> first_term_;  ///< [dihedrals + 1] terms of d: [first_term_[d], [d + 1])
    std::vector<double> term_k_, term_periodicity_;
    std::vector<int> term_n_;                              ///< periodicity n ≥ 1 (OpenMM's rule)
    std::vector<double> term_cos_phase_, term_sin_phase_;  ///< cos φ0, sin φ0
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
