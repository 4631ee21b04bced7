#include "pita/targets/energy_factory.h"

#include <nlohmann/json.hpp>

#include "pita/core/error.h"
#include "pita/energy/double_well.h"
#include "pita/energy/gaussian_mixture.h"
#include "pita/energy/isotropic_gaussian.h"
#include "pita/energy/lennard_jones.h"
#ifdef PITA_WITH_OPENMM
#include "pita/molecule/molecule.h"
#endif

namespace pita {
namespace {
// Pairwise targets hold n² distances per configuration; far beyond this nothing fits in memory.
const Bounds kParticles = Bounds::between(2, 100000);
}  // namespace

std::unique_ptr<Energy> make_energy(const ConfigNode& node) {
    const std::string type = node.get_choice(
        "type", "lennard_jones", {"lennard_jones", "double_well", "gmm", "gaussian", "molecule"});
    if (type == "lennard_jones") {
        LennardJonesParams p;
        p.n_particles = node.get_int("n_particles", p.n_particles, kParticles);
        p.spatial_dim = node.get_int("spatial_dim", p.spatial_dim, Bounds::between(1, 3));
        p.epsilon = node.get_double("epsilon", p.epsilon, Bounds::above(0));
        p.r_min = node.get_double("r_min", p.r_min, Bounds::above(0));
        p.energy_factor = node.get_double("energy_factor", p.energy_factor);
        p.oscillator_scale = node.get_double("oscillator_scale", p.oscillator_scale);
        p.regulariser = node.get_double("regulariser", p.regulariser, Bounds::at_least(0));
        return std::make_unique<LennardJones>(p);
    }
    if (type == "double_well") {
        DoubleWellParams p;
        p.n_particles = node.get_int("n_particles", p.n_particles, kParticles);
        p.spatial_dim = node.get_int("spatial_dim", p.spatial_dim, Bounds::between(1, 3));
        p.a = node.get_double("a", p.a);
        p.b = node.get_double("b", p.b);
        p.c = node.get_double("c", p.c);
        p.d0 = node.get_double("d0", p.d0);
        p.tau = node.get_double("tau", p.tau);
        p.regulariser = node.get_double("regulariser", p.regulariser, Bounds::at_least(0));
        return std::make_unique<DoubleWell>(p);
    }
    if (type == "gmm") return GaussianMixture::pita_gmm40();
    if (type == "molecule") {
#ifdef PITA_WITH_OPENMM
        MoleculeParams p;
        p.system = node.get_string("system", "");
        p.pdb = node.get_string("pdb", "");
        p.length_scale =
            node.get_double("length_scale", p.length_scale, Bounds::at_least(0));  // 0: auto
        p.engine = node.get_choice("engine", p.engine, {"force_field", "openmm"});
        if (p.engine == "openmm") {
            p.openmm_platform =
                node.get_choice("openmm_platform", p.openmm_platform, {"cpu", "reference"});
            p.openmm_workers =
                static_cast<int>(node.get_int("openmm_workers", 0, Bounds::between(0, 256)));
        }
        p.initial_noise = node.get_double("initial_noise", p.initial_noise, Bounds::at_least(0));
        return std::make_unique<Molecule>(p);
#else
        throw ConfigError(
            "[energy] type molecule: got a pita built without OpenMM; expected "
            "PITA_WITH_OPENMM=ON. Install OpenMM (libopenmm-dev) and reconfigure.");
#endif
    }
    const int64_t n = node.get_int("n_particles", 1, Bounds::between(1, 1 << 20));
    const int64_t d = node.get_int("spatial_dim", 2, Bounds::between(1, 1 << 16));
    const double variance = node.get_double("variance", 1.0, Bounds::above(0));
    return std::make_unique<IsotropicGaussian>(n, d, variance);
}

std::unique_ptr<Energy> make_energy_of_run(const nlohmann::json& record, const std::string& where) {
    nlohmann::json energy_config;
    if (record.contains("config") && record["config"].contains("energy"))
        energy_config = record["config"]["energy"];
    else if (record.contains("energy"))
        energy_config = record["energy"];
    PITA_CHECK_AS(IoError, energy_config.is_object(),
                  "[target] {}/run.json names no target (no config.energy or energy section). "
                  "Was it written by `pita mcmc`, `pita run` or `pita anneal`?",
                  where);
    // Energy::config() also reports derived values that are not settings (a molecule's energy
    // unit): not keys of the energy section, so they are left out here.
    energy_config.erase("energy_unit_kj_per_mol");
    Config cfg = Config::from_string(nlohmann::json{{"energy", energy_config}}.dump());
    std::unique_ptr<Energy> energy = make_energy(cfg.root().child("energy"));
    cfg.finish();
    return energy;
}

}  // namespace pita
