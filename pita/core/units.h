#pragma once
// Physical constants in OpenMM's units (nm, kJ/mol, elementary charge), defined as OpenMM 7.7
// defines them (openmm/reference/SimTKOpenMMRealType.h), so energies agree to rounding. In core/
// because the force field, the Molecule target and the MD integrators all need them.

namespace pita {

inline constexpr double kElementaryCharge = 1.602176634e-19;  ///< C
inline constexpr double kAvogadro = 6.02214076e23;            ///< 1/mol
inline constexpr double kPi = 3.141592653589793238462643383279502884;
/// Vacuum permittivity in e²·mol/(kJ·nm).
inline constexpr double kEpsilon0 =
    1e-6 * 8.8541878128e-12 / (kElementaryCharge * kElementaryCharge * kAvogadro);
/// Coulomb's constant 1/(4π·ε0) ≈ 138.935 kJ·nm/(mol·e²): OpenMM's ONE_4PI_EPS0.
inline constexpr double kOne4PiEps0 = 1.0 / (4.0 * kPi * kEpsilon0);
/// Molar gas constant R = k_B·N_A in kJ/(mol·K), for energies in kT (spec §1.2).
inline constexpr double kMolarGasConstant = 1.380649e-23 * kAvogadro / 1000.0;

}  // namespace pita
