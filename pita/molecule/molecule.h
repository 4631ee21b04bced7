#pragma once
// A peptide as a sampling target (PITA-SPEC §1.2): the force field of an OpenMM System seen in
// normalised coordinates, with energies in units that make E/T the reduced energy at T kelvin.
//
// Unit convention. The reference evaluates u_T(x) = E_kJ/mol(s·x) / (R·T), one energy object per
// temperature. pita's Energy has no temperature (samplers divide by T), so Molecule returns
//   E(x) = E_kJ/mol(s·x) / (R · 1 K),
// i.e. energies in units of k_B·(1 K) ≈ 8.314e-3 kJ/mol. A sampler at temperature T (in kelvin:
// a peptide ladder is e.g. [1200, ..., 300]) then sees E/T = u_T, log p in kT exactly as the
// reference. Forces are −∇E in normalised coordinates: F = s · F_kJ/mol/nm / (R · 1 K).
//
// Coordinates. x = (x_nm − x̄)/s with x̄ the unweighted centroid and s the length scale in nm
// (the reference's data_normalization_factor: 0.1640 ALDP, 0.2059 AL3, 0.2446 AL4). The energy
// is evaluated at s·x without re-centring; it is translation invariant (non-periodic System).
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "pita/energy/energy.h"
#include "pita/molecule/molecular_graph.h"

namespace pita {

/// kJ/mol per unit of Molecule energy: R · 1 K.
double molecule_energy_unit();

/// The reference's length scale (nm) for its peptides, by atom count: 22 → 0.1640 (ALDP),
/// 33 → 0.2059 (AL3), 43 → 0.2446 (AL4); 0 for any other count.
double reference_length_scale(int64_t n_atoms);

struct MoleculeParams {
    std::filesystem::path system;  ///< OpenMM System XML (scripts/make_openmm_system.py)
    std::filesystem::path pdb;     ///< the structure; its atoms must be the System's particles
    /// nm per normalised unit; 0 = reference_length_scale() of the atom count.
    double length_scale = 0;
    /// Who evaluates the physical energy: "force_field" (pita::ForceField, batched, any device)
    /// or "openmm" (pita::OpenMMEnergy: OpenMM contexts, CPU, the reference implementation).
    std::string engine = "force_field";
    /// engine openmm: "cpu" or "reference"; and its pool size (0 = at::get_num_threads()).
    std::string openmm_platform = "cpu";
    int openmm_workers = 0;
    /// Standard deviation of the Gaussian noise added to each start configuration, in
    /// normalised units; 0 = identical copies of the PDB structure.
    double initial_noise = 0;
};

/// See the file comment. Energies and forces come from `physical()` (kJ/mol, nm).
class Molecule final : public Energy {
  public:
    /// @throws IoError for a missing or unreadable System or PDB, a System that names a particle
    ///         it does not have (load_openmm_system()), a PDB coordinate that is not finite
    /// @throws ConfigError when the PDB's atoms disagree with the System's particles (count, or
    ///         an element whose mass differs from the particle's), for an unsupported force
    ///         (engine force_field), a bad length scale or engine
    explicit Molecule(MoleculeParams params);
    ~Molecule() override;

    std::string name() const override { return "molecule"; }
    int64_t n_particles() const override;
    int64_t spatial_dim() const override { return 3; }
    bool translation_invariant() const override { return true; }
    nlohmann::json config() const override;
    /// φ and ψ of the PDB's backbone (pita::ramachandran_torsions of its atoms).
    std::vector<Torsion> ramachandran_torsions() const override;

    const MoleculeParams& params() const { return params_; }
    double length_scale() const { return length_scale_; }
    /// The physical energy: kJ/mol for positions in nm.
    const Energy& physical() const { return *physical_; }
    /// The PDB structure, nm, [n_particles, 3], float64.
    const at::Tensor& pdb_positions() const;
    /// Particle masses from the System, amu (g/mol), [n_particles], float64.
    const at::Tensor& masses() const;
    /// Bonds (System's HarmonicBondForce; lengths in model coordinates) and chirality centres
    /// (signs of the PDB structure).
    const MolecularGraph* molecular_graph() const override;

    /// nm → normalised: (x_nm − centroid)/s. [..., n_particles, 3].
    at::Tensor normalise(const at::Tensor& x_nm) const;
    /// normalised → nm: s·x (no re-centring).
    at::Tensor to_nm(const at::Tensor& x) const;

    /// The normalised PDB structure repeated `batch` times, plus N(0, initial_noise²) noise
    /// (made mean-free again). [batch, n_particles, 3], float64, CPU.
    at::Tensor initial_configurations(int64_t batch, at::Generator& gen) const override;

  protected:
    at::Tensor compute_energy(const at::Tensor& x) const override;
    EnergyAndForce compute_energy_and_force(const at::Tensor& x) const override;

  private:
    MoleculeParams params_;
    double length_scale_ = 0;
    std::unique_ptr<Energy> physical_;
    struct Data;
    std::unique_ptr<Data> data_;
};

}  // namespace pita
