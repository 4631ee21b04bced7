#pragma once
// Module-internal: one potential-energy term of a ForceField (one OpenMM Force), evaluated with
// LibTorch ops on a batch. Parameters come in as plain float64 CPU tensors, read once from the
// OpenMM System by force_field.cpp; this header and the term files know nothing of OpenMM.
#include <memory>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

namespace pita::detail {

/// A term has two implementations with one contract: LibTorch ops (any device and dtype,
/// differentiable, forces by autograd) and a fused float64 CPU loop over one configuration with
/// analytic gradients (the fast path). Tests hold both to OpenMM.
class ForceTerm {
  public:
    virtual ~ForceTerm() = default;
    /// @param x  [batch, n_particles, 3], nm, float32/float64, any device
    /// @return   [batch] energies, kJ/mol, x's dtype and device
    virtual at::Tensor energy(const at::Tensor& x) const = 0;
    /// One configuration. @param x  [n_particles·3], nm
    /// @param grad  [n_particles·3]: ∂E/∂x (kJ/mol/nm) is added to it; nullptr for energy only
    /// @return the energy, kJ/mol
    virtual double energy_cpu(const double* x, double* grad) const = 0;
};

/// Σ over the last dimension, accumulated in float64 and returned in e's dtype: in float32, the
/// hundreds of large pair terms of a zwitterion's Coulomb sum would otherwise lose digits.
inline at::Tensor sum_terms(const at::Tensor& e) {
    return e.sum(-1, /*keepdim=*/false, at::kDouble).to(e.scalar_type());
}

/// 0.5·k·(r − r0)² per bond. (OpenMM HarmonicBondForce)
struct HarmonicBondParams {
    at::Tensor atoms;  ///< [n, 2] int64
    at::Tensor r0;     ///< [n] nm
    at::Tensor k;      ///< [n] kJ/mol/nm²
};
/// 0.5·k·(θ − θ0)² per angle. (OpenMM HarmonicAngleForce)
struct HarmonicAngleParams {
    at::Tensor atoms;   ///< [n, 3] int64
    at::Tensor theta0;  ///< [n] rad
    at::Tensor k;       ///< [n] kJ/mol/rad²
};
/// k·(1 + cos(n·φ − φ0)) per torsion. (OpenMM PeriodicTorsionForce)
struct PeriodicTorsionParams {
    at::Tensor atoms;        ///< [n, 4] int64
    at::Tensor periodicity;  ///< [n] (integer values, stored as float64)
    at::Tensor phase;        ///< [n] rad
    at::Tensor k;            ///< [n] kJ/mol
};

/// Coulomb + Lennard-Jones between pairs (OpenMM NonbondedForce, NoCutoff or CutoffNonPeriodic).
/// Ordinary pairs: Lorentz-Berthelot parameters already combined here; with a cutoff, only pairs
/// with r < cutoff count and Coulomb takes OpenMM's reaction-field form
///   ONE_4PI_EPS0·qq·(1/r + k_rf·r² − c_rf).
/// Exception pairs (non-zero 1-4 scaled interactions): plain Coulomb + LJ, never cut off.
/// Excluded pairs (exceptions with zero chargeProd and epsilon) appear in neither list.
struct NonbondedParams {
    at::Tensor pairs;            ///< [p, 2] int64, ordinary pairs
    at::Tensor charge_prod;      ///< [p] e²
    at::Tensor sigma;            ///< [p] nm
    at::Tensor epsilon;          ///< [p] kJ/mol
    at::Tensor exception_pairs;  ///< [q, 2] int64
    at::Tensor exception_charge_prod, exception_sigma, exception_epsilon;  ///< [q]
    bool use_cutoff = false;
    double cutoff = 0.0;  ///< nm
    double k_rf = 0.0;    ///< nm⁻³
    double c_rf = 0.0;    ///< nm⁻¹
};

/// Generalized Born with OBC Born radii plus the ACE non-polar term: OpenMM's GBSAOBCForce (OBC2)
/// and the CustomGBForce that app/internal/customgbforces.py builds for implicit/obc1.xml and
/// obc2.xml. The two differ in one place: GBSAOBCForce adds the "engulfed atom" correction
/// 2·(1/or_i − 1/L) to the descreening integral when atom i lies inside j's scaled sphere;
/// the CustomGBForce expression does not.
struct ObcParams {
    at::Tensor charge;                             ///< [n] e
    at::Tensor offset_radius;                      ///< [n] nm, atomic radius − offset
    at::Tensor scaled_radius;                      ///< [n] nm, screening factor · offset_radius
    double offset = 0.009;                         ///< nm, dielectric offset
    double alpha = 1.0, beta = 0.8, gamma = 4.85;  ///< tanh(α·ψ − β·ψ² + γ·ψ³)
    double solute_dielectric = 1.0, solvent_dielectric = 78.5;
    double coulomb_constant = 138.935485;  ///< kJ·nm/(mol·e²), as the force writes it
    bool use_surface_area = true;
    double surface_area_factor = 28.3919551;  ///< kJ/mol/nm², 4π·surface-area energy
    double probe_radius = 0.14;               ///< nm
    bool engulf_correction = false;
    bool use_cutoff = false;
    double cutoff = 0.0;           ///< nm; pairs beyond it count neither in radii nor in energy
    double screening_shift = 0.0;  ///< nm⁻¹, subtracted from 1/f in the pair term (1/cutoff)
};

std::unique_ptr<ForceTerm> make_harmonic_bond_term(HarmonicBondParams params);
std::unique_ptr<ForceTerm> make_harmonic_angle_term(HarmonicAngleParams params);
std::unique_ptr<ForceTerm> make_periodic_torsion_term(PeriodicTorsionParams params);
std::unique_ptr<ForceTerm> make_nonbonded_term(NonbondedParams params);
std::unique_ptr<ForceTerm> make_obc_term(ObcParams params, int64_t n_particles);

}  // namespace pita::detail
