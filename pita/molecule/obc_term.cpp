// Generalized Born / OBC implicit solvent (OpenMM GBSAOBCForce, and the OBC CustomGBForce of
// implicit/obc1.xml); see ObcParams in force_term_impl.h for the two variants. Per atom i:
//   I_i = Σ_{j≠i, r<rc} ½·[1/L − 1/U + ¼(r − s_j²/r)(1/U² − 1/L²) + ½·ln(L/U)/r]·step(r + s_j −
//   o_i)
//         with U = r + s_j, L = max(o_i, |r − s_j|), o = offset radius, s = scaled radius
//   ψ_i = I_i·o_i,  B_i = 1/(1/o_i − tanh(αψ − βψ² + γψ³)/ρ_i),  ρ_i = o_i + offset
//   E   = −½·C·(1/ε_in − 1/ε_out)·Σ_i q_i²/B_i
//         + Σ_i sa·(ρ_i + probe)²·(ρ_i/B_i)⁶
//         − C·(1/ε_in − 1/ε_out)·Σ_{i<j, r<rc} q_i q_j·(1/f_ij − shift),
//   f_ij = sqrt(r² + B_i B_j·exp(−r²/(4 B_i B_j))),   shift = 1/rc with a cutoff, else 0
#include <cmath>
#include <utility>
#include <vector>

#include <ATen/ATen.h>

#include "pita/molecule/force_term_impl.h"

namespace pita::detail {
namespace {

class ObcTerm final : public ForceTerm {
  public:
    ObcTerm(ObcParams p, int64_t n) : p_(std::move(p)), n_(n) {
        const at::Tensor pairs = at::triu_indices(n, n, 1);  // [2, n(n−1)/2]
        first_ = pairs[0].contiguous();
        second_ = pairs[1].contiguous();
        // Born radii need both directions of every pair: i gets descreened by j and vice versa.
        receiver_ = at::cat({first_, second_});
        screener_ = at::cat({second_, first_});
        charge_ = flat(p_.charge);
        offset_radius_ = flat(p_.offset_radius);
        scaled_radius_ = flat(p_.scaled_radius);
    }

    double energy_cpu(const double* x, double* grad) const override {
        const auto n = static_cast<size_t>(n_);
        const size_t n_pairs = n * (n - 1) / 2;
        std::vector<double> r(n_pairs), sum(n, 0.0), born(n), dborn_dsum(n), de_dborn(n, 0.0);
        std::vector<char> inside(n_pairs);
        // ∂(descreening of i by j)/∂r and of j by i, kept from pass 1 for the chain rule.
        std::vector<double> d_ij(n_pairs, 0.0), d_ji(n_pairs, 0.0);
        const double rc2 = p_.cutoff * p_.cutoff;
        // Pass 1: distances and the descreening sums.
        for (size_t i = 0, k = 0; i < n; ++i) {
            for (size_t j = i + 1; j < n; ++j, ++k) {
                double r2 = 0;
                for (int c = 0; c < 3; ++c) {
                    const double d = x[3 * j + c] - x[3 * i + c];
                    r2 += d * d;
                }
                r[k] = std::sqrt(r2);
                inside[k] = !p_.use_cutoff || r2 < rc2 || std::isnan(r2);
                if (!inside[k]) continue;
                sum[i] += descreening(r[k], offset_radius_[i], scaled_radius_[j], &d_ij[k]);
                sum[j] += descreening(r[k], offset_radius_[j], scaled_radius_[i], &d_ji[k]);
            }
        }
        // Born radii, self and surface-area energies.
        const double pre =
            -p_.coulomb_constant * (1.0 / p_.solute_dielectric - 1.0 / p_.solvent_dielectric);
        double e = 0;
        for (size_t i = 0; i < n; ++i) {
            const double o = offset_radius_[i], rho = o + p_.offset;
            const double psi = sum[i] * o;
            const double t =
                std::tanh(p_.alpha * psi - p_.beta * psi * psi + p_.gamma * psi * psi * psi);
            born[i] = 1.0 / (1.0 / o - t / rho);
            dborn_dsum[i] = born[i] * born[i] * (1.0 - t * t) / rho *
                            (p_.alpha - 2.0 * p_.beta * psi + 3.0 * p_.gamma * psi * psi) * o;
            const double self = 0.5 * pre * charge_[i] * charge_[i] / born[i];
            e += self;
            de_dborn[i] -= self / born[i];
            if (p_.use_surface_area) {
                const double sa = p_.surface_area_factor * (rho + p_.probe_radius) *
                                  (rho + p_.probe_radius) * std::pow(rho / born[i], 6);
                e += sa;
                de_dborn[i] -= 6.0 * sa / born[i];
            }
        }
        // Pass 2: GB pair energies, their direct forces and their Born-radius derivatives.
        std::vector<double> de_dr(n_pairs, 0.0);
        for (size_t i = 0, k = 0; i < n; ++i) {
            for (size_t j = i + 1; j < n; ++j, ++k) {
                if (!inside[k]) continue;
                const double bb = born[i] * born[j];
                const double r2 = r[k] * r[k];
                const double ex = std::exp(-r2 / (4.0 * bb));
                const double f = std::sqrt(r2 + bb * ex);
                const double kqq = pre * charge_[i] * charge_[j];
                e += kqq * (1.0 / f - p_.screening_shift);
                const double de_df = -kqq / (f * f);
                de_dr[k] += de_df * r[k] * (1.0 - 0.25 * ex) / f;
                const double df_dbb = ex * (1.0 + r2 / (4.0 * bb)) / (2.0 * f);
                de_dborn[i] += de_df * df_dbb * born[j];
                de_dborn[j] += de_df * df_dbb * born[i];
            }
        }
        if (grad == nullptr) return e;
        // Pass 3: the chain rule through the Born radii, then scatter ∂E/∂r onto atoms.
        for (size_t i = 0, k = 0; i < n; ++i) {
            for (size_t j = i + 1; j < n; ++j, ++k) {
                if (!inside[k]) continue;
                const double total = de_dr[k] + de_dborn[i] * dborn_dsum[i] * d_ij[k] +
                                     de_dborn[j] * dborn_dsum[j] * d_ji[k];
                const double c = total / r[k];
                for (int a = 0; a < 3; ++a) {
                    const double g = c * (x[3 * j + a] - x[3 * i + a]);
                    grad[3 * j + a] += g;
                    grad[3 * i + a] -= g;
                }
            }
        }
        return e;
    }

    at::Tensor energy(const at::Tensor& x) const override {
        const auto opts = x.options();
        const auto dev = x.device();
        const at::Tensor first = first_.to(dev), second = second_.to(dev);
        const at::Tensor receiver = receiver_.to(dev), screener = screener_.to(dev);
        const at::Tensor q = p_.charge.to(opts);
        const at::Tensor o = p_.offset_radius.to(opts);
        const at::Tensor s = p_.scaled_radius.to(opts);

        const at::Tensor d = x.index_select(1, second) - x.index_select(1, first);
        const at::Tensor r_pair = d.pow(2).sum(-1).sqrt();  // [batch, n(n−1)/2]
        // 0/1 factors rather than at::where, so that a NaN coordinate keeps its row NaN.
        const at::Tensor inside_pair =
            p_.use_cutoff ? (r_pair < p_.cutoff).to(x.scalar_type()) : at::ones_like(r_pair);

        // Descreening integral over ordered pairs (receiver i, screener j).
        const at::Tensor r = at::cat({r_pair, r_pair}, 1);
        const at::Tensor inside = at::cat({inside_pair, inside_pair}, 1);
        const at::Tensor o_i = o.index_select(0, receiver);
        const at::Tensor s_j = s.index_select(0, screener);
        const at::Tensor upper = r + s_j;
        const at::Tensor lower = at::maximum((r - s_j).abs(), o_i.expand_as(r));
        at::Tensor integral = lower.reciprocal() - upper.reciprocal() +
                              0.25 * (r - s_j.pow(2) / r) * (upper.pow(-2) - lower.pow(-2)) +
                              0.5 * at::log(lower / upper) / r;
        if (p_.engulf_correction) {
            const at::Tensor engulfed = (o_i < s_j - r).to(x.scalar_type());
            integral = integral + engulfed * 2.0 * (o_i.reciprocal() - lower.reciprocal());
        }
        const at::Tensor overlaps = (upper - o_i >= 0).to(x.scalar_type());
        const at::Tensor contrib = 0.5 * integral * overlaps * inside;
        const at::Tensor sum_i =
            at::zeros({x.size(0), n_}, opts).index_add(1, receiver, contrib);  // [batch, n]

        const at::Tensor psi = sum_i * o;
        const at::Tensor rho = o + p_.offset;
        const at::Tensor born =
            (o.reciprocal() -
             at::tanh(p_.alpha * psi - p_.beta * psi.pow(2) + p_.gamma * psi.pow(3)) / rho)
                .reciprocal();

        const double pre =
            -p_.coulomb_constant * (1.0 / p_.solute_dielectric - 1.0 / p_.solvent_dielectric);
        at::Tensor e = sum_terms(0.5 * pre * q.pow(2) / born);
        if (p_.use_surface_area) {
            e = e + sum_terms(p_.surface_area_factor * (rho + p_.probe_radius).pow(2) *
                              (rho / born).pow(6));
        }
        const at::Tensor b_i = born.index_select(1, first);
        const at::Tensor b_j = born.index_select(1, second);
        const at::Tensor bb = b_i * b_j;
        const at::Tensor r2 = r_pair.pow(2);
        const at::Tensor f = (r2 + bb * at::exp(-r2 / (4.0 * bb))).sqrt();
        const at::Tensor qq = q.index_select(0, first) * q.index_select(0, second);
        at::Tensor screening = f.reciprocal();
        screening = screening - p_.screening_shift;
        return e + sum_terms(pre * qq * screening * inside_pair);
    }

  private:
    /// The contribution of screener j (scaled radius s) to receiver i's (offset radius o)
    /// descreening sum, ½·T, and its derivative with respect to r.
    double descreening(double r, double o, double s, double* d_dr) const {
        const double upper = r + s;
        if (upper - o < 0) {  // step(r + s − o) = 0: no overlap
            *d_dr = 0;
            return 0;
        }
        const double dist = std::abs(r - s);
        const bool lower_is_dist = dist > o;
        const double lower = lower_is_dist ? dist : o;
        const double dlower = lower_is_dist ? (r >= s ? 1.0 : -1.0) : 0.0;
        const double iu = 1.0 / upper, il = 1.0 / lower, ir = 1.0 / r;
        const double log_ratio = std::log(lower * iu);
        const double a = r - s * s * ir, b = iu * iu - il * il;
        double t = il - iu + 0.25 * a * b + 0.5 * log_ratio * ir;
        double dt = -dlower * il * il + iu * iu + 0.25 * (1.0 + s * s * ir * ir) * b +
                    0.25 * a * (-2.0 * iu * iu * iu + 2.0 * dlower * il * il * il) +
                    0.5 * ((dlower * il - iu) * ir - log_ratio * ir * ir);
        if (p_.engulf_correction && o < s - r) {
            t += 2.0 * (1.0 / o - il);
            dt += 2.0 * dlower * il * il;
        }
        *d_dr = 0.5 * dt;
        return 0.5 * t;
    }
    static std::vector<double> flat(const at::Tensor& t) {
        const at::Tensor c = t.to(at::kDouble).contiguous();
        return {c.data_ptr<double>(), c.data_ptr<double>() + c.numel()};
    }

    ObcParams p_;
    std::vector<double> charge_, offset_radius_, scaled_radius_;
    int64_t n_;
    at::Tensor first_, second_, receiver_, screener_;  // int64, CPU
};

}  // namespace

std::unique_ptr<ForceTerm> make_obc_term(ObcParams params, int64_t n_particles) {
    return std::make_unique<ObcTerm>(std::move(params), n_particles);
}

}  // namespace pita::detail
