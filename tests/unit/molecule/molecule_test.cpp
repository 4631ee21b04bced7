// Molecule (normalised coordinates, energies in k_B·1 K) against ForceField's physical units,
// finite differences, the PDB/System checks and the config factory; OpenMMEnergy (OpenMM
// contexts) against ForceField.
#ifdef PITA_WITH_OPENMM

#include "pita/molecule/molecule.h"

#include <unistd.h>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <tuple>

#include <ATen/ATen.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "pita/config/config.h"
#include "pita/core/error.h"
#include "pita/core/rng.h"
#include "pita/core/units.h"
#include "pita/energy/lennard_jones.h"
#include "pita/molecule/force_field.h"
#include "pita/molecule/openmm_energy.h"
#include "pita/targets/energy_factory.h"
#include "support/text_helpers.h"

namespace pita {
namespace {

using testing::read_text;
using testing::source_path;

MoleculeParams aldp_params() {
    MoleculeParams p;
    p.system = source_path("data/molecules/aldp.system.xml");
    p.pdb = source_path("data/molecules/aldp.pdb");
    return p;
}

/// A scratch file under the test temp directory, removed at the end of the test.
class ScratchFile {
  public:
    ScratchFile(const std::string& name, const std::string& text)
        : path_(std::filesystem::temp_directory_path() /
                (std::to_string(::getpid()) + "_" + name)) {
        std::ofstream(path_) << text;
    }
    ~ScratchFile() { std::filesystem::remove(path_); }
    ScratchFile(const ScratchFile&) = delete;
    ScratchFile& operator=(const ScratchFile&) = delete;
    const std::filesystem::path& path() const { return path_; }

  private:
    std::filesystem::path path_;
};

at::Tensor noisy_aldp(const Molecule& mol, int64_t batch, double noise, uint64_t seed) {
    at::Generator gen = make_generator(seed);
    at::Tensor x = mol.initial_configurations(batch, gen);
    return x + noise * at::randn(x.sizes(), gen, at::kDouble);
}

TEST(Molecule, EnergyAndForceAreForceFieldsInKelvinUnitsAndNormalisedCoordinates) {
    const Molecule mol(aldp_params());
    EXPECT_EQ(mol.n_particles(), 22);
    EXPECT_DOUBLE_EQ(mol.length_scale(), 0.1640);  // the reference's ALDP value
    const ForceField ff(aldp_params().system);
    const at::Tensor x = noisy_aldp(mol, 4, 0.02, 1);
    const EnergyAndForce ef = mol.energy_and_force(x);
    const EnergyAndForce ref = ff.energy_and_force(x * 0.1640);
    const double r = molecule_energy_unit();
    EXPECT_NEAR(r, 8.314462618e-3, 1e-12);  // R in kJ/(mol·K), spec §1.2
    EXPECT_TRUE(at::allclose(ef.energy * r, ref.energy, 1e-12, 1e-9));
    EXPECT_TRUE(at::allclose(ef.force * r / 0.1640, ref.force, 1e-12, 1e-9));
    EXPECT_TRUE(at::allclose(mol.energy(x), ef.energy, 1e-12, 1e-9));
    // E/T at T = 300 is the reduced energy u = E_kJ/(R·300 K) of the reference.
    EXPECT_NEAR((ef.energy[0] / 300.0).item<double>(), (ref.energy[0] / (r * 300.0)).item<double>(),
                1e-9);
    // The autograd path (input that requires grad) gives the same energy.
    EXPECT_TRUE(at::allclose(mol.energy(x.requires_grad_(true)).detach(), ef.energy, 1e-10, 1e-8));
}

TEST(Molecule, TripeptideAndTetrapeptideTakeTheReferenceLengthScales) {
    for (const auto& [name, atoms, scale] :
         {std::tuple<const char*, int64_t, double>{"aaa", 33, 0.2059}, {"aaaa", 43, 0.2446}}) {
        MoleculeParams p;
        p.system = source_path(std::string("data/molecules/") + name + ".system.xml");
        p.pdb = source_path(std::string("data/molecules/") + name + ".pdb");
        const Molecule mol(p);
        EXPECT_EQ(mol.n_particles(), atoms) << name;
        EXPECT_DOUBLE_EQ(mol.length_scale(), scale) << name;
        at::Generator gen = make_generator(1);
        const at::Tensor x = mol.initial_configurations(2, gen);
        const at::Tensor e = mol.energy(x);
        EXPECT_TRUE(
            at::allclose(e * molecule_energy_unit(), mol.physical().energy(x * scale), 1e-12, 1e-9))
            << name;
    }
    EXPECT_EQ(reference_length_scale(21), 0.0);
}

TEST(Molecule, ForcesMatchCentralFiniteDifferences) {
    const Molecule mol(aldp_params());
    const at::Tensor x = noisy_aldp(mol, 1, 0.02, 2);
    const EnergyAndForce ef = mol.energy_and_force(x);
    const double h = 1e-6;
    const double f_max = ef.force.abs().max().item<double>();
    for (const int64_t atom : {0, 6, 8, 21}) {
        for (int64_t k = 0; k < 3; ++k) {
            at::Tensor plus = x.clone();
            at::Tensor minus = x.clone();
            plus[0][atom][k] += h;
            minus[0][atom][k] -= h;
            const double fd = -(mol.energy(plus) - mol.energy(minus)).item<double>() / (2 * h);
            EXPECT_NEAR(ef.force[0][atom][k].item<double>(), fd, 1e-5 * f_max)
                << "atom " << atom << " axis " << k;
        }
    }
}

TEST(Molecule, InitialConfigurationsAreTheNormalisedMeanFreePdbStructure) {
    MoleculeParams p = aldp_params();
    const Molecule mol(p);
    at::Generator gen = make_generator(3);
    const at::Tensor x = mol.initial_configurations(3, gen);
    ASSERT_EQ(x.sizes(), (std::vector<int64_t>{3, 22, 3}));
    EXPECT_LT(x.mean(1).abs().max().item<double>(), 1e-12);
    const at::Tensor pdb = mol.pdb_positions();
    EXPECT_TRUE(at::allclose(x[2] * 0.1640, pdb - pdb.mean(0, true), 1e-12, 1e-12));
    EXPECT_TRUE(at::isfinite(mol.energy(x)).all().item<bool>());
    p.initial_noise = 0.01;
    const Molecule noisy(p);
    const at::Tensor y = noisy.initial_configurations(3, gen);
    EXPECT_LT(y.mean(1).abs().max().item<double>(), 1e-12);
    const double spread = (y - x).std().item<double>();
    EXPECT_GT(spread, 0.005);
    EXPECT_LT(spread, 0.02);
}

TEST(Molecule, MassesComeFromTheSystem) {
    const Molecule mol(aldp_params());
    EXPECT_NEAR(mol.masses()[0].item<double>(), 1.008, 1e-9);  // H1 of ACE
    EXPECT_NEAR(mol.masses()[1].item<double>(), 12.01, 1e-9);  // CH3
    EXPECT_NEAR(mol.masses()[6].item<double>(), 14.01, 0.01);  // N of ALA
}

TEST(Molecule, AnswersTheTorsionQueryOfEnergyWithItsPhiAndPsi) {
    const Molecule mol(aldp_params());
    const Energy& energy = mol;  // the query callers use, without knowing the target's type
    const std::vector<Torsion> torsions = energy.ramachandran_torsions();
    ASSERT_EQ(torsions.size(), 2u);
    EXPECT_EQ(torsions[0].name, "phi ALA2");
    EXPECT_EQ(torsions[1].name, "psi ALA2");
    EXPECT_TRUE(LennardJones().ramachandran_torsions().empty());  // the default: no backbone
}

TEST(Molecule, MissingFilesAndMismatchedPdbAreClearErrors) {
    MoleculeParams p = aldp_params();
    p.pdb = "no/such.pdb";
    EXPECT_THAT([&] { Molecule m(p); }, ::testing::ThrowsMessage<IoError>(::testing::AllOf(
                                            ::testing::HasSubstr("[molecule] PDB file not found"),
                                            ::testing::HasSubstr("no/such.pdb"))));
    p = aldp_params();
    p.system = "no/such.system.xml";
    EXPECT_THAT([&] { Molecule m(p); },
                ::testing::ThrowsMessage<IoError>(::testing::HasSubstr("System XML not found")));

    // One hydrogen line dropped: 21 atoms against 22 particles.
    std::string pdb = read_text(source_path("data/molecules/aldp.pdb"));
    const size_t h1 = pdb.find("HETATM    1");
    const std::string dropped = pdb.substr(0, h1) + pdb.substr(pdb.find('\n', h1) + 1);
    const ScratchFile short_pdb("aldp_missing_atom.pdb", dropped);
    p = aldp_params();
    p.pdb = short_pdb.path();
    EXPECT_THAT([&] { Molecule m(p); },
                ::testing::ThrowsMessage<ConfigError>(::testing::AllOf(
                    ::testing::HasSubstr("missing or extra atoms"),
                    ::testing::HasSubstr("got 21 atoms"), ::testing::HasSubstr("22 particles"))));

    // The first two atoms swapped (H, C): same count, wrong order.
    const size_t l2 = pdb.find('\n', h1) + 1;
    const size_t l3 = pdb.find('\n', l2) + 1;
    const std::string swapped =
        pdb.substr(0, h1) + pdb.substr(l2, l3 - l2) + pdb.substr(h1, l2 - h1) + pdb.substr(l3);
    const ScratchFile swapped_pdb("aldp_swapped.pdb", swapped);
    p.pdb = swapped_pdb.path();
    EXPECT_THAT([&] { Molecule m(p); },
                ::testing::ThrowsMessage<ConfigError>(
                    ::testing::AllOf(::testing::HasSubstr("PDB atom 1 (ACE A1 'CH3', element C)"),
                                     ::testing::HasSubstr("expected about 12.011 amu"))));

    p = aldp_params();
    p.length_scale = -1;
    EXPECT_THAT([&] { Molecule m(p); },
                ::testing::ThrowsMessage<ConfigError>(::testing::HasSubstr("length_scale")));
}

TEST(Molecule, ExtraAtomsAndNonFiniteCoordinatesInThePdbAreClearErrors) {
    const std::string pdb = read_text(source_path("data/molecules/aldp.pdb"));
    MoleculeParams p = aldp_params();

    // The last atom line repeated: 23 atoms against 22 particles.
    const size_t last = pdb.rfind("HETATM");
    const std::string last_line = pdb.substr(last, pdb.find('\n', last) + 1 - last);
    const ScratchFile extra("aldp_extra_atom.pdb",
                            pdb.substr(0, last) + last_line + pdb.substr(last));
    p.pdb = extra.path();
    EXPECT_THAT([&] { Molecule m(p); },
                ::testing::ThrowsMessage<ConfigError>(::testing::AllOf(
                    ::testing::HasSubstr("missing or extra atoms"),
                    ::testing::HasSubstr("got 23 atoms"), ::testing::HasSubstr("22 particles"))));

    // x of atom 1 is NaN: an IoError at construction, for both engines.
    std::string nan_pdb = pdb;
    nan_pdb.replace(pdb.find("HETATM    1") + 30, 8, "     nan");
    const ScratchFile nan_file("aldp_nan.pdb", nan_pdb);
    p.pdb = nan_file.path();
    for (const char* engine : {"force_field", "openmm"}) {
        p.engine = engine;
        EXPECT_THAT([&] { Molecule m(p); },
                    ::testing::ThrowsMessage<IoError>(::testing::AllOf(
                        ::testing::HasSubstr(nan_file.path().string() + " line 2 (atom 1 'H1')"),
                        ::testing::HasSubstr("coordinate x: got 'nan'"))))
            << engine;
    }
}

TEST(Molecule, FactoryBuildsItFromAConfigSection) {
    const std::string yaml =
        "energy:\n  type: molecule\n  system: " + source_path("data/molecules/aldp.system.xml") +
        "\n  pdb: " + source_path("data/molecules/aldp.pdb") + "\n  initial_noise: 0.001\n";
    Config cfg = Config::from_string(yaml);
    const std::unique_ptr<Energy> e = make_energy(cfg.root().child("energy"));
    cfg.finish();
    EXPECT_EQ(e->name(), "molecule");
    EXPECT_EQ(e->degrees_of_freedom(), 63);
    EXPECT_EQ(e->config()["engine"], "force_field");
    EXPECT_DOUBLE_EQ(e->config()["length_scale"].get<double>(), 0.1640);

    Config bad = Config::from_string(yaml + "  engine: opnemm\n");
    EXPECT_THROW(
        {
            make_energy(bad.root().child("energy"));
            bad.finish();
        },
        ConfigError);
}

TEST(OpenMMEnergy, AgreesWithForceFieldOnThePoolOfContexts) {
    const ForceField ff(aldp_params().system);
    const Molecule mol(aldp_params());
    const at::Tensor x = noisy_aldp(mol, 6, 0.02, 4) * 0.1640;  // nm
    const EnergyAndForce ref = ff.energy_and_force(x);
    const double f_scale = ref.force.abs().max().item<double>();
    {
        // Reference platform: double precision throughout.
        const OpenMMEnergy omm(aldp_params().system, OpenMMPlatform::Reference, 2);
        EXPECT_EQ(omm.n_workers(), 2);
        const EnergyAndForce ef = omm.energy_and_force(x);
        EXPECT_LT(((ef.energy - ref.energy).abs() / ref.energy.abs()).max().item<double>(), 1e-10);
        EXPECT_LT((ef.force - ref.force).abs().max().item<double>() / f_scale, 1e-10);
        EXPECT_TRUE(at::allclose(omm.energy(x), ef.energy, 0, 0));
    }
    {
        // CPU platform: single-precision forces, energies accumulated in double.
        const OpenMMEnergy omm(aldp_params().system, OpenMMPlatform::Cpu, 3);
        const EnergyAndForce ef = omm.energy_and_force(x.to(at::kFloat));
        EXPECT_EQ(ef.energy.scalar_type(), at::kFloat);
        const at::Tensor e = ef.energy.to(at::kDouble);
        EXPECT_LT(((e - ref.energy).abs() / ref.energy.abs()).max().item<double>(), 1e-5);
        EXPECT_LT((ef.force.to(at::kDouble) - ref.force).abs().max().item<double>() / f_scale,
                  1e-4);
        // Measured: 2.0e-6 relative in energy and 1.1e-7 of the largest force component for
        // float64 input too (OpenMM's precision, not the input's).
        const EnergyAndForce ef64 = omm.energy_and_force(x);
        EXPECT_LT(((ef64.energy - ref.energy).abs() / ref.energy.abs()).max().item<double>(), 1e-5);
        EXPECT_LT((ef64.force - ref.force).abs().max().item<double>() / f_scale, 1e-6);
    }
}

TEST(OpenMMEnergy, NanRowIsNonFiniteAndLeavesOtherRowsUnchanged) {
    const OpenMMEnergy omm(aldp_params().system, OpenMMPlatform::Reference, 1);
    const Molecule mol(aldp_params());
    at::Tensor x = noisy_aldp(mol, 3, 0.0, 5) * 0.1640;
    x[1][3][0] = std::nan("");
    const EnergyAndForce ef = omm.energy_and_force(x);
    EXPECT_TRUE(std::isnan(ef.energy[1].item<double>()));
    EXPECT_TRUE(at::isnan(ef.force[1]).all().item<bool>());
    EXPECT_NEAR(ef.energy[0].item<double>(), ef.energy[2].item<double>(), 1e-9);
}

TEST(Molecule, OpenMMEngineMatchesForceFieldEngine) {
    MoleculeParams p = aldp_params();
    p.engine = "openmm";
    p.openmm_platform = "reference";
    p.openmm_workers = 1;
    const Molecule omm(p);
    const Molecule ff(aldp_params());
    const at::Tensor x = noisy_aldp(ff, 2, 0.02, 6);
    const EnergyAndForce a = omm.energy_and_force(x);
    const EnergyAndForce b = ff.energy_and_force(x);
    EXPECT_TRUE(at::allclose(a.energy, b.energy, 1e-10, 0));
    EXPECT_LT((a.force - b.force).abs().max().item<double>() / b.force.abs().max().item<double>(),
              1e-10);
    EXPECT_EQ(omm.config()["openmm_platform"], "reference");
}

}  // namespace
}  // namespace pita

#endif  // PITA_WITH_OPENMM
