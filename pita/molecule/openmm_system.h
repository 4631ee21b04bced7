#pragma once
// The one place pita reads an OpenMM System XML and makes OpenMM Contexts. Deserialising is
// not validating: OpenMM checks particle indices only when a Context is created, and
// ForceField never makes one, so a bond to particle 99 of 22 reached its raw-pointer kernels
// (a crash) and an exception to particle 22 wrote past a buffer (a wrong energy). Every reader
// goes through load_openmm_system(), which checks every index of every force once, and OpenMM's
// exceptions come out as pita errors that name the file.
#include <filesystem>
#include <memory>
#include <string>

namespace OpenMM {
class Context;
class Integrator;
class Platform;
class System;
}  // namespace OpenMM

namespace pita {

/// Which OpenMM platform evaluates: Reference (double precision, the oracle) or CPU (one thread).
enum class OpenMMPlatform { Reference, Cpu };

/// Reads, deserialises and validates a System XML (scripts/make_openmm_system.py).
/// Validated: particle masses (finite, >= 0); constraint and virtual-site particles; the
/// particles of every bond, angle, torsion, NonbondedForce exception and CustomGBForce
/// exclusion (in range, distinct); the particle count of NonbondedForce, GBSAOBCForce and
/// CustomGBForce against the System's; each CustomGBForce particle's parameter count.
/// Forces of other types are left to whoever evaluates them (ForceField refuses them; an OpenMM
/// Context checks them, see make_openmm_context()).
/// @throws IoError naming the file (and the force, entry and index for a bad index)
std::unique_ptr<OpenMM::System> load_openmm_system(const std::filesystem::path& path);

/// The same from XML text; `source` names it in messages.
std::unique_ptr<OpenMM::System> parse_openmm_system(const std::string& xml,
                                                    const std::string& source);

/// The platform, its plugins loaded once per process (CPU is a plugin).
/// @throws ConfigError if OpenMM has no such platform here
OpenMM::Platform& openmm_platform(OpenMMPlatform which);

/// A Context over `system` on `platform` (one thread on CPU: on molecules this small the CPU
/// platform's cost is thread wake-ups; docs: TOOLCHAIN.md, OpenMM throughput table).
/// @param source  the System's file, named in messages
/// @throws IoError naming `source` if OpenMM refuses the System
std::unique_ptr<OpenMM::Context> make_openmm_context(const OpenMM::System& system,
                                                     OpenMM::Integrator& integrator,
                                                     OpenMMPlatform platform,
                                                     const std::string& source);

}  // namespace pita
