#pragma once
// OpenMM's own evaluation of a serialised System, one configuration at a time through a
// Context: the oracle that tests and benchmarks hold ForceField against. Slow by design.
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "pita/energy/energy.h"

namespace pita {

/// Which OpenMM platform evaluates: Reference (double precision, the oracle) or CPU (one thread).
enum class OpenMMPlatform { Reference, Cpu };

/// Owns an OpenMM System (forces put in force groups 0, 1, ... by position, so each force can
/// be evaluated alone), a Context and its integrator. Not thread safe.
class OpenMMReference {
  public:
    /// @throws IoError if the file is not a System XML; ConfigError for more than 32 forces
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

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace pita
