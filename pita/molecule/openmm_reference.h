#pragma once
// OpenMM's own evaluation of a serialised System, one configuration at a time through a
// Context: the oracle that tests and benchmarks hold ForceField against. Slow by design.
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "pita/energy/energy.h"
#include "pita/molecule/openmm_system.h"

namespace pita {

/// One trajectory of OpenMM's own LangevinMiddleIntegrator (run_langevin_middle()).
struct OpenMMLangevinRun {
    at::Tensor potential;       ///< [n_samples] kJ/mol
    at::Tensor kinetic_energy;  ///< [n_samples] kJ/mol, OpenMM's (of its half-step velocities)
    double seconds = 0;         ///< wall time of the dynamics, warm-up included
    int64_t steps = 0;          ///< integrator steps taken, warm-up included
};

/// Owns an OpenMM System (forces put in force groups 0, 1, ... by position, so each force can
/// be evaluated alone), a Context and its integrator. Not thread safe.
class OpenMMReference {
  public:
    /// @throws IoError if the file is not a valid System XML (load_openmm_system()) or OpenMM
    ///         refuses it; ConfigError for more than 32 forces
    explicit OpenMMReference(const std::filesystem::path& system_xml,
                             OpenMMPlatform platform = OpenMMPlatform::Reference);
    /// From XML text, e.g. a System edited by a test.
    OpenMMReference(const std::string& xml, const std::string& source, OpenMMPlatform platform);
    ~OpenMMReference();
    OpenMMReference(const OpenMMReference&) = delete;
    OpenMMReference& operator=(const OpenMMReference&) = delete;

    int64_t n_particles() const;
    /// The OpenMM class name of each force, in the System's order.
    std::vector<std::string> force_names() const;

    /// Energy and forces of one force (its index in the System) or of all (force_index = -1).
    /// @param x  [batch, n_particles, 3], nm, any floating dtype, CPU
    /// @return   energy [batch] kJ/mol and force [batch, n_particles, 3] kJ/mol/nm, float64
    EnergyAndForce evaluate(const at::Tensor& x, int force_index = -1);
    /// OpenMM's LocalEnergyMinimizer from x.
    /// @param x  [n_particles, 3], nm;  @param tolerance  kJ/mol/nm
    /// @return   [n_particles, 3], nm, float64
    at::Tensor minimize(const at::Tensor& x, double tolerance = 1.0);
    /// OpenMM's LangevinMiddleIntegrator on one trajectory from x, in a Context of its own on
    /// this object's platform: velocities drawn at the temperature (`seed`, which also seeds
    /// the integrator's noise), `warmup_steps` steps, then `n_samples` samples every `interval`
    /// steps. The baseline pita's MD is validated (tests/validation) and timed (bench/) against.
    /// @param x  [n_particles, 3], nm;  temperature K, friction 1/ps, step_size ps
    OpenMMLangevinRun run_langevin_middle(const at::Tensor& x, double temperature, double friction,
                                          double step_size, int64_t warmup_steps, int64_t n_samples,
                                          int64_t interval, int seed);

  private:
    OpenMMReference(std::unique_ptr<OpenMM::System> system, const std::string& source,
                    OpenMMPlatform platform);
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace pita
