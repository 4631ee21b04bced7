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
#include <utility>

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
    ObcParams p_;
    int64_t n_;
    at::Tensor first_, second_, receiver_, screener_;  // int64, CPU
};

}  // namespace

std::unique_ptr<ForceTerm> make_obc_term(ObcParams params, int64_t n_particles) {
    return std::make_unique<ObcTerm>(std::move(params), n_particles);
}

}  // namespace pita::detail
