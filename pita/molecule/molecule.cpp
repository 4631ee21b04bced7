#include "pita/molecule/molecule.h"

#include <cctype>
#include <cmath>
#include <map>
#include <utility>
#include <vector>

#include <ATen/ATen.h>
#include <OpenMM.h>
#include <nlohmann/json.hpp>

#include "pita/core/error.h"
#include "pita/core/units.h"
#include "pita/molecule/force_field.h"
#include "pita/molecule/openmm_energy.h"
#include "pita/molecule/openmm_system.h"
#include "pita/molecule/pdb.h"
#include "pita/molecule/torsions.h"

namespace pita {

struct Molecule::Data {
    at::Tensor pdb_positions;  // [n, 3] nm
    at::Tensor masses;         // [n] amu
    MolecularGraph graph;
};

double molecule_energy_unit() { return kMolarGasConstant * 1.0; }

double reference_length_scale(int64_t n_atoms) {
    switch (n_atoms) {
        case 22:
            return 0.1640;
        case 33:
            return 0.2059;
        case 43:
            return 0.2446;
        default:
            return 0.0;
    }
}

namespace {

/// The particle masses (amu) and the bonds of every HarmonicBondForce (with their r0, nm).
std::pair<std::vector<double>, std::vector<Bond>> read_system_masses_and_bonds(
    const std::filesystem::path& path) {
    const std::unique_ptr<OpenMM::System> system = load_openmm_system(path);
    std::vector<double> masses(static_cast<size_t>(system->getNumParticles()));
    for (size_t i = 0; i < masses.size(); ++i)
        masses[i] = system->getParticleMass(static_cast<int>(i));
    std::vector<Bond> bonds;
    for (int f = 0; f < system->getNumForces(); ++f) {
        const auto* harmonic = dynamic_cast<const OpenMM::HarmonicBondForce*>(&system->getForce(f));
        if (harmonic == nullptr) continue;
        for (int k = 0; k < harmonic->getNumBonds(); ++k) {
            int a = 0, b = 0;
            double r0 = 0, stiffness = 0;
            harmonic->getBondParameters(k, a, b, r0, stiffness);
            bonds.push_back({a, b, r0});
        }
    }
    return {masses, bonds};
}

/// Standard atomic masses (amu) of the elements in peptides; 0 for anything else (unchecked).
double element_mass(const std::string& element) {
    static const std::map<std::string, double> masses = {
        {"H", 1.008}, {"C", 12.011}, {"N", 14.007}, {"O", 15.999}, {"S", 32.06}, {"P", 30.974}};
    std::string key = element;
    for (char& c : key) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (key.size() == 2)
        key[1] = static_cast<char>(std::tolower(static_cast<unsigned char>(key[1])));
    const auto it = masses.find(key);
    return it == masses.end() ? 0.0 : it->second;
}

/// The element of a PDB atom of mass `mass` (amu): its element column in the usual spelling
/// ("C", "Cl") when that names a known element, else the known element within 0.5 amu of the
/// mass, else "".
std::string element_symbol(const PdbAtom& atom, double mass) {
    static const std::map<std::string, double> masses = {
        {"H", 1.008}, {"C", 12.011}, {"N", 14.007}, {"O", 15.999}, {"S", 32.06}, {"P", 30.974}};
    std::string key = atom.element;
    for (char& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (!key.empty()) key[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(key[0])));
    if (masses.count(key) != 0) return key;
    for (const auto& [symbol, m] : masses)
        if (std::abs(m - mass) < 0.5) return symbol;
    return "";
}

void check_pdb_matches_system(const std::vector<PdbAtom>& atoms, const std::vector<double>& masses,
                              const MoleculeParams& p) {
    PITA_CHECK(atoms.size() == masses.size(),
               "[molecule] the PDB and the System disagree on the atoms (missing or extra atoms?): "
               "got {} atoms in '{}'; expected the System's {} particles ('{}'). Hint: pass the "
               "PDB the System was made from (scripts/make_openmm_system.py).",
               atoms.size(), p.pdb.string(), masses.size(), p.system.string());
    for (size_t i = 0; i < atoms.size(); ++i) {
        const double expected = element_mass(atoms[i].element);
        if (expected == 0.0) continue;  // blank or unusual element column: nothing to check
        PITA_CHECK(std::abs(masses[i] - expected) < 0.5,
                   "[molecule] PDB atom {} ({} {}{} '{}', element {}) of '{}' is not the "
                   "System's particle {}: got mass {} amu in '{}'; expected about {} amu. The "
                   "atom order of the PDB must be the System's; pass the PDB the System was made "
                   "from.",
                   i + 1, atoms[i].residue_name, atoms[i].chain, atoms[i].residue_number,
                   atoms[i].name, atoms[i].element, p.pdb.string(), i, masses[i], p.system.string(),
                   expected);
    }
}

OpenMMPlatform parse_platform(const std::string& name) {
    if (name == "cpu") return OpenMMPlatform::Cpu;
    PITA_CHECK(name == "reference",
               "[molecule] openmm_platform: got '{}'; expected cpu or reference.", name);
    return OpenMMPlatform::Reference;
}

}  // namespace

Molecule::Molecule(MoleculeParams params)
    : params_(std::move(params)), data_(std::make_unique<Data>()) {
    PITA_CHECK(params_.engine == "force_field" || params_.engine == "openmm",
               "[molecule] engine: got '{}'; expected force_field or openmm.", params_.engine);
    PITA_CHECK_AS(IoError, std::filesystem::is_regular_file(params_.system),
                  "[molecule] System XML not found (energy.system): got '{}'; expected an OpenMM "
                  "System XML. "
                  "Paths are relative to the working directory; make one with "
                  "scripts/make_openmm_system.py.",
                  params_.system.string());
    PITA_CHECK_AS(IoError, std::filesystem::is_regular_file(params_.pdb),
                  "[molecule] PDB file not found (energy.pdb): got '{}'; expected the structure "
                  "the System was made from. Paths are relative to the working directory.",
                  params_.pdb.string());
    PITA_CHECK(params_.initial_noise >= 0,
               "[molecule] initial_noise: got {}; expected >= 0 (normalised units).",
               params_.initial_noise);
    auto [masses, bonds] = read_system_masses_and_bonds(params_.system);
    const std::vector<PdbAtom> atoms = read_pdb_atoms(params_.pdb);
    check_pdb_matches_system(atoms, masses, params_);
    data_->masses = at::tensor(masses, at::kDouble);
    data_->pdb_positions = read_pdb_positions(params_.pdb);

    const auto n = static_cast<int64_t>(masses.size());
    length_scale_ = params_.length_scale > 0 ? params_.length_scale : reference_length_scale(n);
    PITA_CHECK(params_.length_scale >= 0 && length_scale_ > 0,
               "[molecule] length_scale: got {} for a molecule of {} atoms; expected a positive "
               "length in nm. Only the reference's peptides (22, 33, 43 atoms) have a default; "
               "set energy.length_scale (e.g. the std of the mean-free coordinates).",
               params_.length_scale, n);
    // Bond lengths in the model's coordinates, as the samples are.
    for (Bond& b : bonds) b.length /= length_scale_;
    data_->graph = make_molecular_graph(std::move(bonds), data_->masses, data_->pdb_positions);
    for (std::size_t i = 0; i < atoms.size(); ++i)
        data_->graph.elements.push_back(element_symbol(atoms[i], masses[i]));
    data_->graph.backbone_torsions = backbone_torsions(atoms);
    if (params_.engine == "force_field") {
        physical_ = std::make_unique<ForceField>(params_.system);
    } else {
        physical_ = std::make_unique<OpenMMEnergy>(
            params_.system, parse_platform(params_.openmm_platform), params_.openmm_workers);
    }
    PITA_ASSERT(physical_->n_particles() == n, "engine has {} particles, System {}",
                physical_->n_particles(), n);
}

Molecule::~Molecule() = default;

int64_t Molecule::n_particles() const { return physical_->n_particles(); }

const at::Tensor& Molecule::pdb_positions() const { return data_->pdb_positions; }
const at::Tensor& Molecule::masses() const { return data_->masses; }
const MolecularGraph* Molecule::molecular_graph() const { return &data_->graph; }

nlohmann::json Molecule::config() const {
    nlohmann::json j = {{"type", "molecule"},
                        {"system", params_.system.string()},
                        {"pdb", params_.pdb.string()},
                        {"length_scale", length_scale_},
                        {"engine", params_.engine},
                        {"initial_noise", params_.initial_noise},
                        {"energy_unit_kj_per_mol", molecule_energy_unit()}};
    if (params_.engine == "openmm") {
        j["openmm_platform"] = params_.openmm_platform;
        j["openmm_workers"] = params_.openmm_workers;
    }
    return j;
}

std::vector<Torsion> Molecule::ramachandran_torsions() const {
    return pita::ramachandran_torsions(read_pdb_atoms(params_.pdb));
}

at::Tensor Molecule::normalise(const at::Tensor& x_nm) const {
    return (x_nm - x_nm.mean(-2, true)) / length_scale_;
}

at::Tensor Molecule::to_nm(const at::Tensor& x) const { return x * length_scale_; }

at::Tensor Molecule::initial_configurations(int64_t batch, at::Generator& gen) const {
    at::Tensor x = normalise(data_->pdb_positions).unsqueeze(0).repeat({batch, 1, 1});
    if (params_.initial_noise > 0) {
        x = x + params_.initial_noise * at::randn(x.sizes(), gen, at::kDouble);
        x = x - x.mean(1, true);
    }
    return x;
}

at::Tensor Molecule::compute_energy(const at::Tensor& x) const {
    return physical_->energy(to_nm(x)) / molecule_energy_unit();
}

EnergyAndForce Molecule::compute_energy_and_force(const at::Tensor& x) const {
    // The chain rule through x_nm = s·x: −∂E/∂x = s · F_nm / unit.
    EnergyAndForce ef = physical_->energy_and_force(to_nm(x));
    const double unit = molecule_energy_unit();
    return {ef.energy / unit, ef.force * (length_scale_ / unit)};
}

}  // namespace pita
