#pragma once
// The peptide force field evaluated by OpenMM itself: the reference implementation of the
// physical energy, and the fallback for a System that ForceField does not implement.
#include <filesystem>
#include <memory>
#include <string>

#include "pita/energy/energy.h"
#include "pita/molecule/openmm_reference.h"

namespace pita {

/// The potential energy of one molecule from an OpenMM System XML, in kJ/mol for positions in
/// nm, forces in kJ/mol/nm: the same units and interface as ForceField.
///
/// Holds a pool of `n_workers` OpenMM Contexts (each with its own integrator, one thread each on
/// the CPU platform) over one System, and evaluates a batch row by row, the rows split into
/// contiguous chunks, one chunk per Context on its own thread. Calls from several threads are
/// serialised (one batch at a time uses the whole pool). Float64 or float32 input, CPU only;
/// results in the input's dtype. The CPU platform computes forces in single precision (energies
/// agree with ForceField to ~1e-6 relative); the Reference platform is double precision.
/// A row that OpenMM rejects (NaN positions) gets energy NaN and NaN forces.
class OpenMMEnergy final : public Energy {
  public:
    /// @param n_workers  Contexts and threads; 0 = at::get_num_threads()
    /// @throws IoError if the file is not a valid System XML (load_openmm_system()) or OpenMM
    ///         refuses it
    explicit OpenMMEnergy(const std::filesystem::path& system_xml,
                          OpenMMPlatform platform = OpenMMPlatform::Cpu, int n_workers = 0);
    ~OpenMMEnergy() override;

    std::string name() const override { return "openmm"; }
    int64_t n_particles() const override { return n_particles_; }
    int64_t spatial_dim() const override { return 3; }
    bool translation_invariant() const override { return true; }
    nlohmann::json config() const override;
    int n_workers() const;

  protected:
    at::Tensor compute_energy(const at::Tensor& x) const override;
    EnergyAndForce compute_energy_and_force(const at::Tensor& x) const override;

  private:
    EnergyAndForce evaluate(const at::Tensor& x, bool want_force) const;

    struct Pool;
    std::unique_ptr<Pool> pool_;
    std::string source_;
    OpenMMPlatform platform_;
    int64_t n_particles_ = 0;
};

}  // namespace pita
