#pragma once
// Batched Langevin dynamics in physical units (nm, ps, amu, kJ/mol): many replicas of one
// molecule integrated together, each step one batched force evaluation. The scheme is OpenMM's
// LangevinMiddleIntegrator (a leapfrog BAOAB; PITA-SPEC §1.3: 1 fs, friction 0.3/ps), so that
// pita can make the reference's high-temperature MD data without an OpenMM context per replica.
#include <cstdint>

#include <ATen/core/Tensor.h>

#include "pita/energy/energy.h"

namespace pita {

struct LangevinOptions {
    double temperature = 300.0;  ///< K
    double friction = 0.3;       ///< 1/ps
    double step_size = 0.001;    ///< ps
};

/// Positions, velocities and the forces at the positions of every replica, float64, CPU or the
/// energy's device. Velocities are at half steps (leapfrog), as OpenMM's LangevinMiddle.
struct MdState {
    at::Tensor x;            ///< [replicas, n_atoms, 3], nm
    at::Tensor v;            ///< [replicas, n_atoms, 3], nm/ps
    at::Tensor force;        ///< [replicas, n_atoms, 3], kJ/mol/nm, at x
    at::Tensor potential;    ///< [replicas], kJ/mol, at x (free: it comes with the forces)
    at::Tensor temperature;  ///< [replicas], K: each replica's own heat bath
    int64_t steps = 0;
};

/// One step, for every replica (γ friction, h step, kT = R·T, a = exp(−γh)):
///   v ← v + h·F(x)/m;  x ← x + (h/2)·v;  v ← a·v + sqrt((1 − a²)·kT/m)·ξ;  x ← x + (h/2)·v;
///   F ← F(x)
/// i.e. OpenMM's LangevinMiddleIntegrator without constraints. No centre-of-mass motion is
/// removed (the thermostat keeps it Maxwellian; the System's CMMotionRemover is not applied).
/// Checked against OpenMM's LangevinMiddleIntegrator (tests/validation/md_openmm_validation_
/// test.cpp: ALDP, 1200 K, 0.3/ps, 1 fs, 8 x 105 ps each): <U> 130.2 ± 5.2 kJ/mol (pita) vs
/// 128.6 ± 3.9 (OpenMM), two-sample KS passes; T_kin and Rugh's T_conf at 300 and 1200 K
/// within their standard errors (tests/statistical/md_statistical_test.cpp).
class LangevinMiddle {
  public:
    /// @param energy  kJ/mol for positions in nm (ForceField, OpenMMEnergy): not a Molecule,
    ///                whose units are normalised
    /// @param masses  [n_atoms] amu (g/mol), all > 0
    /// @throws ConfigError for bad options or masses
    LangevinMiddle(const Energy& energy, const at::Tensor& masses, LangevinOptions options);

    const LangevinOptions& options() const { return options_; }
    /// kT in kJ/mol at the options' temperature.
    double kT() const;

    /// Replicas at positions `x` ([replicas, n_atoms, 3], nm) with Maxwell–Boltzmann velocities
    /// at the options' temperature; evaluates the forces (one evaluation per replica).
    MdState start(const at::Tensor& x, at::Generator& gen) const;
    /// The same with one temperature (K) per replica, `temperatures` [replicas] (replica
    /// exchange runs a ladder of heat baths in one batch).
    MdState start(const at::Tensor& x, const at::Tensor& temperatures, at::Generator& gen) const;
    /// Advances every replica by `n_steps` steps (n_steps force evaluations per replica).
    void run(MdState& state, int64_t n_steps, at::Generator& gen) const;

    /// Kinetic energy per replica, kJ/mol. [replicas]
    at::Tensor kinetic_energy(const MdState& state) const;
    /// 2·KE/(n_dof·R) per replica, K, with n_dof = 3·n_atoms (no constraints). [replicas]
    at::Tensor kinetic_temperature(const MdState& state) const;

  private:
    const Energy& energy_;
    at::Tensor inv_mass_;  // [1, n_atoms, 1]
    LangevinOptions options_;
};

}  // namespace pita
