#pragma once
// Module-internal: the pair terms of a ForceField (NonbondedForce and the OBC generalized Born
// term) fused into one float64 CPU evaluation of one configuration, with analytic gradients.
// Same formulas as NonbondedTerm and ObcTerm (force_term_impl.h); what it saves is the work the
// two terms did twice or per call: each pair's distance, 1/r and force scatter are computed
// once for both terms, parameters are laid out per pair at construction, nothing is allocated
// per configuration, and the arithmetic runs in branch-free loops over contiguous pair arrays
// that the compiler vectorises (log and exp are branch-free fdlibm versions, < 1 ulp, so that
// their loops vectorise too).
#include <cstddef>
#include <cstdint>
#include <vector>

#include "pita/molecule/force_term_impl.h"

namespace pita::detail {

class PairKernel {
  public:
    /// @param n_particles  atoms
    /// @param nonbonded    the NonbondedForce's parameters, or nullptr for none
    /// @param obc          the OBC term's parameters, or nullptr for none
    PairKernel(int64_t n_particles, const NonbondedParams* nonbonded, const ObcParams* obc);

    /// Doubles of scratch space that energy() needs; allocate once per thread.
    size_t scratch_size() const { return scratch_size_; }

    /// One configuration: the nonbonded plus OBC energy, kJ/mol.
    /// @param x        [n_particles·3], nm
    /// @param grad     [n_particles·3]: ∂E/∂x (kJ/mol/nm) is added to it; nullptr for energy only
    /// @param scratch  scratch_size() doubles, overwritten
    double energy(const double* x, double* grad, double* scratch) const;

  private:
    /// Nonbonded energy; adds ∂E/∂r per pair to de_dr. `energies`: [pairs] scratch.
    double nonbonded_pairs(const double* r2, const double* r, const double* inv_r, double* de_dr,
                           double* energies) const;
    /// OBC energy; adds ∂E/∂r per pair (Born-radius chain rule included when want_grad) to
    /// de_dr. Scratch: atom_work [4n], pair_work [12·pairs].
    double obc(const double* r2, const double* r, const double* inv_r, double* de_dr,
               double* atom_work, double* pair_work, bool want_grad) const;

    int64_t n_ = 0;
    int64_t n_pairs_ = 0;  ///< n(n−1)/2, pairs (i, j > i) in row-major order
    size_t scratch_size_ = 0;
    std::vector<int64_t> row_begin_;  ///< [n] index of the pair (i, i+1)

    // NonbondedForce, per pair (excluded pairs: zeros).
    bool has_nonbonded_ = false;
    /// A pair counts unless r² >= this: cutoff² (nm²) for ordinary pairs with a cutoff, NaN
    /// (never) for 1-4 exceptions and without a cutoff, −1 (always) for excluded pairs.
    std::vector<double> nb_cutoff2_;
    std::vector<double> nb_sigma2_;        ///< σ², nm²
    std::vector<double> nb_eps4_;          ///< 4ε, kJ/mol
    std::vector<double> nb_kqq_;           ///< ONE_4PI_EPS0·q_i·q_j, kJ·nm/mol
    std::vector<double> nb_krf_, nb_crf_;  ///< reaction field, 0 for exceptions

    // OBC, per atom and per pair.
    bool has_obc_ = false;
    ObcParams obc_;           ///< scalar settings (tensors unused here)
    double obc_cutoff2_ = 0;  ///< nm², +∞ without a cutoff
    double obc_pre_ = 0;      ///< −C·(1/ε_in − 1/ε_out)
    std::vector<double> charge_, offset_radius_, scaled_radius_, inv_offset_radius_;
    std::vector<double> gb_kqq_;  ///< [pairs] pre·q_i·q_j
    /// [pairs] offset radius, scaled radius and 1/offset radius of the pair's atoms i and j
    std::vector<double> pair_oi_, pair_si_, pair_inv_oi_, pair_oj_, pair_sj_, pair_inv_oj_;
};

}  // namespace pita::detail
