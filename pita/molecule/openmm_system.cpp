#include "pita/molecule/openmm_system.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <utility>
#include <vector>

#include <OpenMM.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "pita/core/error.h"

namespace pita {
namespace {

constexpr const char* kRegenerate =
    "Hint: the file is damaged or was edited by hand; regenerate it with "
    "scripts/make_openmm_system.py from the PDB.";

/// Collects every problem of one System, so that one message reports them all (the first few
/// in full) instead of one per run.
class Problems {
  public:
    Problems(std::string source, int n_particles)
        : source_(std::move(source)), n_particles_(n_particles) {}

    void add(std::string problem) {
        ++count_;
        if (shown_.size() < kShown) shown_.push_back(std::move(problem));
    }

    /// Checks that each of `particles` (named p1, p2, ... as in the XML) is a particle and that
    /// no two are the same. `where` names the force and the entry, e.g. "force 0
    /// (HarmonicBondForce) bond 3".
    void check_particles(const std::string& where, const std::vector<int>& particles) {
        for (size_t k = 0; k < particles.size(); ++k) {
            const int p = particles[k];
            if (p < 0 || p >= n_particles_) {
                add(
                    fmt::format("{} particle p{}: got {}; expected 0 to {} (the System has {} "
                                "particles)",
                                where, k + 1, p, n_particles_ - 1, n_particles_));
                return;
            }
        }
        for (size_t a = 0; a < particles.size(); ++a)
            for (size_t b = a + 1; b < particles.size(); ++b)
                if (particles[a] == particles[b]) {
                    add(
                        fmt::format("{} particles p{} and p{}: got {} twice; expected distinct "
                                    "particles",
                                    where, a + 1, b + 1, particles[a]));
                    return;
                }
    }

    void check_count(const std::string& where, int count) {
        if (count != n_particles_)
            add(fmt::format("{} particles: got {}; expected the System's {}", where, count,
                            n_particles_));
    }

    void throw_if_any() const {
        if (count_ == 0) return;
        std::string more;
        if (count_ > shown_.size()) more = fmt::format("; and {} more", count_ - shown_.size());
        throw IoError(
            fmt::format("[openmm_system] {}: {} invalid entr{}: {}{}. Entries count "
                        "from 0. {}",
                        source_, count_, count_ == 1 ? "y" : "ies", fmt::join(shown_, "; "), more,
                        kRegenerate));
    }

  private:
    static constexpr size_t kShown = 5;
    std::string source_;
    int n_particles_;
    std::vector<std::string> shown_;
    size_t count_ = 0;
};

void check_nonbonded(const OpenMM::NonbondedForce& f, const std::string& where, Problems& out) {
    out.check_count(where, f.getNumParticles());
    std::set<std::pair<int, int>> seen;
    for (int k = 0; k < f.getNumExceptions(); ++k) {
        int a = 0, b = 0;
        double qq = 0, sigma = 0, eps = 0;
        f.getExceptionParameters(k, a, b, qq, sigma, eps);
        const std::string entry = fmt::format("{} exception {}", where, k);
        out.check_particles(entry, {a, b});
        // A repeated pair would replace the pair interaction twice; OpenMM refuses it too.
        if (!seen.insert(std::minmax(a, b)).second)
            out.add(
                fmt::format("{} particles {} and {}: got a second exception for the pair; "
                            "expected at most one",
                            entry, a, b));
    }
}

void check_custom_gb(const OpenMM::CustomGBForce& f, const std::string& where, Problems& out) {
    out.check_count(where, f.getNumParticles());
    std::vector<double> values;
    for (int i = 0; i < f.getNumParticles(); ++i) {
        f.getParticleParameters(i, values);
        if (static_cast<int>(values.size()) != f.getNumPerParticleParameters())
            out.add(fmt::format("{} particle {} parameters: got {}; expected {}", where, i,
                                values.size(), f.getNumPerParticleParameters()));
    }
    for (int k = 0; k < f.getNumExclusions(); ++k) {
        int a = 0, b = 0;
        f.getExclusionParticles(k, a, b);
        out.check_particles(fmt::format("{} exclusion {}", where, k), {a, b});
    }
}

void check_force(const OpenMM::Force& force, int index, Problems& out) {
    const std::string where = fmt::format("force {} ({})", index, force.getName());
    if (const auto* bonds = dynamic_cast<const OpenMM::HarmonicBondForce*>(&force)) {
        for (int k = 0; k < bonds->getNumBonds(); ++k) {
            int a = 0, b = 0;
            double r0 = 0, kb = 0;
            bonds->getBondParameters(k, a, b, r0, kb);
            out.check_particles(fmt::format("{} bond {}", where, k), {a, b});
        }
    } else if (const auto* angles = dynamic_cast<const OpenMM::HarmonicAngleForce*>(&force)) {
        for (int k = 0; k < angles->getNumAngles(); ++k) {
            int a = 0, b = 0, c = 0;
            double theta0 = 0, ka = 0;
            angles->getAngleParameters(k, a, b, c, theta0, ka);
            out.check_particles(fmt::format("{} angle {}", where, k), {a, b, c});
        }
    } else if (const auto* torsions = dynamic_cast<const OpenMM::PeriodicTorsionForce*>(&force)) {
        for (int k = 0; k < torsions->getNumTorsions(); ++k) {
            int a = 0, b = 0, c = 0, d = 0, periodicity = 0;
            double phase = 0, kt = 0;
            torsions->getTorsionParameters(k, a, b, c, d, periodicity, phase, kt);
            out.check_particles(fmt::format("{} torsion {}", where, k), {a, b, c, d});
        }
    } else if (const auto* nonbonded = dynamic_cast<const OpenMM::NonbondedForce*>(&force)) {
        check_nonbonded(*nonbonded, where, out);
    } else if (const auto* gbsa = dynamic_cast<const OpenMM::GBSAOBCForce*>(&force)) {
        out.check_count(where, gbsa->getNumParticles());
    } else if (const auto* custom_gb = dynamic_cast<const OpenMM::CustomGBForce*>(&force)) {
        check_custom_gb(*custom_gb, where, out);
    }
}

void check_system(const OpenMM::System& system, const std::string& source) {
    const int n = system.getNumParticles();
    PITA_CHECK_AS(IoError, n >= 1, "[openmm_system] {}: particles: got {}; expected at least 1. {}",
                  source, n, kRegenerate);
    Problems out(source, n);
    for (int i = 0; i < n; ++i) {
        const double mass = system.getParticleMass(i);
        if (!std::isfinite(mass) || mass < 0)
            out.add(fmt::format("particle {} mass: got {}; expected a finite mass >= 0 (amu)", i,
                                mass));
        if (system.isVirtualSite(i)) {
            const OpenMM::VirtualSite& site = system.getVirtualSite(i);
            std::vector<int> particles;
            for (int k = 0; k < site.getNumParticles(); ++k)
                particles.push_back(site.getParticle(k));
            out.check_particles(fmt::format("virtual site {}", i), particles);
        }
    }
    for (int k = 0; k < system.getNumConstraints(); ++k) {
        int a = 0, b = 0;
        double distance = 0;
        system.getConstraintParameters(k, a, b, distance);
        out.check_particles(fmt::format("constraint {}", k), {a, b});
    }
    for (int k = 0; k < system.getNumForces(); ++k) check_force(system.getForce(k), k, out);
    out.throw_if_any();
}

/// OpenMM's XML reader takes a non-numeric attribute ("abc") as 0 and "nan" as NaN, and it
/// accepts a file cut short inside its last force: each gives a System with other parameters
/// than the file meant. This pass refuses them before OpenMM reads the file.
void check_xml_text(const std::string& xml, const std::string& source) {
    std::size_t end = xml.find_last_not_of(" \t\r\n");
    const std::string closing = "</System>";
    PITA_CHECK_AS(IoError,
                  end != std::string::npos && end + 1 >= closing.size() &&
                      xml.compare(end + 1 - closing.size(), closing.size(), closing) == 0,
                  "[openmm_system] '{}' does not end with </System>: got a file cut short (or "
                  "not a System XML). {}",
                  source, kRegenerate);
    // Elements whose attributes are all numbers (particle indices and force parameters).
    static const std::set<std::string> numeric = {
        "Particle", "Bond", "Angle", "Torsion", "Exception", "Constraint", "A", "B", "C"};
    std::vector<std::string> problems;
    int line = 1;
    for (std::size_t i = 0; i < xml.size() && problems.size() < 5; ++i) {
        if (xml[i] == '\n') ++line;
        if (xml[i] != '<') continue;
        std::size_t j = i + 1;
        while (j < xml.size() && std::isalnum(static_cast<unsigned char>(xml[j]))) ++j;
        const std::string name = xml.substr(i + 1, j - i - 1);
        const std::size_t close = xml.find('>', j);
        if (close == std::string::npos || !numeric.count(name)) continue;
        const std::string attrs = xml.substr(j, close - j);
        for (std::size_t q = attrs.find('"'); q != std::string::npos && problems.size() < 5;) {
            const std::size_t q2 = attrs.find('"', q + 1);
            if (q2 == std::string::npos) break;
            const std::size_t eq = attrs.rfind('=', q);
            const std::size_t key_start = attrs.find_last_of(" \t\n", eq) + 1;
            const std::string key = attrs.substr(key_start, eq - key_start);
            const std::string value = attrs.substr(q + 1, q2 - q - 1);
            char* stop = nullptr;
            const double v = std::strtod(value.c_str(), &stop);
            if (value.empty() || stop != value.c_str() + value.size() || !std::isfinite(v))
                problems.push_back(
                    fmt::format("line {}: <{}> attribute {}: got '{}'; expected a "
                                "finite number",
                                line, name, key, value));
            q = attrs.find('"', q2 + 1);
        }
    }
    PITA_CHECK_AS(IoError, problems.empty(), "[openmm_system] '{}': {}. {}", source,
                  fmt::join(problems, "; "), kRegenerate);
}

}  // namespace

std::unique_ptr<OpenMM::System> parse_openmm_system(const std::string& xml,
                                                    const std::string& source) {
    check_xml_text(xml, source);
    std::unique_ptr<OpenMM::System> system;
    try {
        std::istringstream in(xml);
        system.reset(OpenMM::XmlSerializer::deserialize<OpenMM::System>(in));
    } catch (const std::exception& e) {  // OpenMMException, and whatever its parser lets out
        throw IoError(
            fmt::format("[openmm_system] cannot read an OpenMM System from '{}': {}. "
                        "Hint: the file must be a System written by OpenMM's "
                        "XmlSerializer; regenerate it with "
                        "scripts/make_openmm_system.py.",
                        source, e.what()));
    }
    PITA_CHECK_AS(IoError, system != nullptr,
                  "[openmm_system] cannot read an OpenMM System from '{}': got no System. {}",
                  source, kRegenerate);
    check_system(*system, source);
    return system;
}

std::unique_ptr<OpenMM::System> load_openmm_system(const std::filesystem::path& path) {
    std::ifstream in(path);
    PITA_CHECK_AS(IoError, in.good(),
                  "[openmm_system] cannot open the System XML: got '{}'; expected a readable "
                  "file. Hint: paths are relative to the working directory; make one with "
                  "scripts/make_openmm_system.py.",
                  path.string());
    std::stringstream text;
    text << in.rdbuf();
    return parse_openmm_system(text.str(), path.string());
}

OpenMM::Platform& openmm_platform(OpenMMPlatform which) {
    const char* name = which == OpenMMPlatform::Reference ? "Reference" : "CPU";
    // Reference is built in; the plugins (CPU among them) are loaded only when needed.
    static std::once_flag loaded;
    if (which != OpenMMPlatform::Reference) {
        std::call_once(loaded, [] {
            OpenMM::Platform::loadPluginsFromDirectory(
                OpenMM::Platform::getDefaultPluginsDirectory());
        });
    }
    try {
        return OpenMM::Platform::getPlatformByName(name);
    } catch (const OpenMM::OpenMMException& e) {
        throw ConfigError(fmt::format(
            "[openmm_system] OpenMM platform: got no '{}' platform ({}; plugins from '{}'); "
            "expected OpenMM's {} plugin. Hint: set energy.openmm_platform: reference, or "
            "OPENMM_PLUGIN_DIR to OpenMM's plugin directory.",
            name, e.what(), OpenMM::Platform::getDefaultPluginsDirectory(), name));
    }
}

std::unique_ptr<OpenMM::Context> make_openmm_context(const OpenMM::System& system,
                                                     OpenMM::Integrator& integrator,
                                                     OpenMMPlatform platform,
                                                     const std::string& source) {
    OpenMM::Platform& p = openmm_platform(platform);
    std::map<std::string, std::string> properties;
    if (platform == OpenMMPlatform::Cpu) properties["Threads"] = "1";
    try {
        return std::make_unique<OpenMM::Context>(system, integrator, p, properties);
    } catch (const OpenMM::OpenMMException& e) {
        throw IoError(fmt::format("[openmm_system] {}: OpenMM refuses the System: {}. {}", source,
                                  e.what(), kRegenerate));
    }
}

}  // namespace pita
