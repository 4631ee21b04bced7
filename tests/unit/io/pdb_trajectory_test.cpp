// Multi-model PDB trajectories parsed back (records, columns, coordinates, pita's own PDB
// reader), their refusals, and mdtraj reading both trajectory formats pita writes (DCD with a
// PDB topology, and multi-model PDB), skipped when the system Python has no mdtraj.
#ifdef PITA_WITH_OPENMM

#include "pita/molecule/pdb_trajectory.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "pita/core/error.h"
#include "pita/core/rng.h"
#include "pita/io/npy.h"
#include "pita/io/trajectory.h"
#include "pita/molecule/pdb.h"
#include "support/cli_helpers.h"
#include "support/text_helpers.h"

namespace pita {
namespace {

using testing::error_of;
using testing::kPython;
using testing::lines_of;
using testing::read_text;
using testing::run_python;

namespace fs = std::filesystem;
using ::testing::HasSubstr;

const fs::path kAldp = fs::path(PITA_SOURCE_DIR) / "data/molecules/aldp.pdb";

/// A fresh directory per test (pita::testing::ScratchDirTest), and files in it.
class PdbTrajectory : public testing::ScratchDirTest {
  protected:
    fs::path file(const std::string& name) const { return dir_ / name; }
};

bool is_atom_record(const std::string& line) {
    return line.rfind("ATOM", 0) == 0 || line.rfind("HETATM", 0) == 0;
}

/// Alanine dipeptide's 22 atoms moved by seeded noise of 0.05 nm: [n_frames, 22, 3], float64, nm.
at::Tensor aldp_frames(int64_t n_frames, uint64_t seed) {
    at::Generator gen = make_generator(seed);
    const at::Tensor start = read_pdb_positions(kAldp);
    return start.unsqueeze(0) + 0.05 * at::randn({n_frames, start.size(0), 3}, gen, at::kDouble);
}

TEST_F(PdbTrajectory, WritesOneModelPerFrameThenEnd) {
    const std::vector<PdbAtom> atoms = read_pdb_atoms(kAldp);
    const at::Tensor frames = aldp_frames(3, 1);
    write_pdb_models(file("t.pdb"), atoms, frames);

    const std::vector<std::string> lines = lines_of(read_text(file("t.pdb")));
    ASSERT_FALSE(lines.empty());
    EXPECT_EQ(lines.back(), "END");
    int64_t model = -1;
    int64_t atom = 0;
    for (const std::string& line : lines) {
        if (line.rfind("MODEL", 0) == 0) {
            ++model;
            atom = 0;
            EXPECT_EQ(line, fmt::format("MODEL     {:>4}", model + 1));
        } else if (line == "ENDMDL") {
            EXPECT_EQ(atom, 22) << "model " << model;
        } else if (is_atom_record(line)) {
            ASSERT_GE(model, 0) << "an atom outside any MODEL: " << line;
            ASSERT_EQ(line.size(), 80u) << line;
            for (int k = 0; k < 3; ++k) {
                const double nm = 0.1 * std::stod(line.substr(30 + 8 * k, 8));
                EXPECT_NEAR(nm, frames[model][atom][k].item<double>(), 5.001e-5)
                    << "frame " << model << " atom " << atom << " axis " << k;
            }
            ++atom;
        }
    }
    EXPECT_EQ(model, 2);
}

TEST_F(PdbTrajectory, KeepsTheAtomColumnsOfTheSourcePdbAndReadsBackInPita) {
    const std::vector<PdbAtom> atoms = read_pdb_atoms(kAldp);
    const at::Tensor frames = aldp_frames(2, 2);
    write_pdb_models(file("t.pdb"), atoms, frames);

    // Serial, name, residue, chain and residue number (columns 7-26) and element (77-78) as
    // OpenMM wrote them; only the record name (ATOM for all) may differ.
    std::vector<std::string> source;
    for (const std::string& line : lines_of(read_text(kAldp)))
        if (is_atom_record(line)) source.push_back(line);
    std::vector<std::string> written;
    for (const std::string& line : lines_of(read_text(file("t.pdb"))))
        if (is_atom_record(line)) written.push_back(line);
    ASSERT_EQ(source.size(), 22u);
    ASSERT_EQ(written.size(), 44u);
    for (size_t i = 0; i < written.size(); ++i) {
        EXPECT_EQ(written[i].substr(6, 20), source[i % 22].substr(6, 20)) << written[i];
        EXPECT_EQ(written[i].substr(76, 2), source[i % 22].substr(76, 2)) << written[i];
    }

    // pita's reader takes the first model.
    const std::vector<PdbAtom> back = read_pdb_atoms(file("t.pdb"));
    ASSERT_EQ(back.size(), atoms.size());
    for (size_t i = 0; i < atoms.size(); ++i) {
        EXPECT_EQ(back[i].name, atoms[i].name);
        EXPECT_EQ(back[i].residue_name, atoms[i].residue_name);
        EXPECT_EQ(back[i].chain, atoms[i].chain);
        EXPECT_EQ(back[i].residue_number, atoms[i].residue_number);
        EXPECT_EQ(back[i].element, atoms[i].element);
    }
    EXPECT_LE((read_pdb_positions(file("t.pdb")) - frames[0]).abs().max().item<double>(), 5.001e-5);
}

TEST_F(PdbTrajectory, RefusesCoordinatesOutsideThePdbField) {
    const std::vector<PdbAtom> atoms = read_pdb_atoms(kAldp);
    at::Tensor frames = aldp_frames(2, 3);
    frames[1][5][2] = 999.9999;  // 9999.999 Å: the largest that fits
    frames[1][6][0] = -99.9999;  // -999.999 Å: the most negative that fits
    write_pdb_models(file("ok.pdb"), atoms, frames);

    frames[1][5][2] = 1000.0;  // 10000 Å
    std::string msg =
        error_of<ConfigError>([&] { write_pdb_models(file("t.pdb"), atoms, frames); });
    EXPECT_THAT(msg, HasSubstr("got coordinate 10000 Angstrom (frame 1, atom 5 'O', axis z)"));
    EXPECT_THAT(msg, HasSubstr("expected -999.999 to 9999.999 Angstrom"));
    EXPECT_THAT(msg, HasSubstr("Write a DCD"));
    frames[1][5][2] = 0.0;
    frames[0][6][0] = -100.0;  // -1000 Å needs 9 characters too
    msg = error_of<ConfigError>([&] { write_pdb_models(file("t.pdb"), atoms, frames); });
    EXPECT_THAT(msg, HasSubstr("(frame 0, atom 6 'N', axis x)"));
    EXPECT_FALSE(fs::exists(file("t.pdb")));
}

TEST_F(PdbTrajectory, RefusesNonFiniteCoordinatesAndMismatchedAtoms) {
    const std::vector<PdbAtom> atoms = read_pdb_atoms(kAldp);
    at::Tensor frames = aldp_frames(2, 4);
    frames[1][3][1] = std::numeric_limits<double>::quiet_NaN();
    EXPECT_THAT(error_of<ConfigError>([&] { write_pdb_models(file("t.pdb"), atoms, frames); }),
                HasSubstr("[pdb] frames: got non-finite coordinates (1 in all, the first at "
                          "frame 1, atom 3"));
    EXPECT_THAT(error_of<ConfigError>([&] {
                    write_pdb_models(file("t.pdb"), atoms, at::zeros({1, 21, 3}, at::kDouble));
                }),
                HasSubstr("got 21 atoms per frame; expected 22"));
    EXPECT_THAT(
        error_of<ConfigError>([&] { write_pdb_models(file("t.pdb"), {}, aldp_frames(1, 5)); }),
        HasSubstr("atoms: got 0"));
    std::vector<PdbAtom> long_name = atoms;
    long_name[4].name = "CXYZW";
    EXPECT_THAT(
        error_of<ConfigError>([&] { write_pdb_models(file("t.pdb"), long_name, frames[0]); }),
        HasSubstr("atom 4: got name 'CXYZW'"));
    EXPECT_FALSE(fs::exists(file("t.pdb")));
}

TEST_F(PdbTrajectory, RefusesMoreModelsThanTheModelField) {
    const std::vector<PdbAtom> one(1, read_pdb_atoms(kAldp)[0]);
    EXPECT_THAT(error_of<ConfigError>([&] {
                    write_pdb_models(file("t.pdb"), one, at::zeros({10000, 1, 3}, at::kFloat));
                }),
                HasSubstr("got 10000; expected at most 9999 models"));
}

TEST_F(PdbTrajectory, AnUnwritablePathIsAnIoError) {
    try {
        write_pdb_models(file("no_such_dir/t.pdb"), read_pdb_atoms(kAldp), aldp_frames(1, 7));
        ADD_FAILURE() << "expected pita::IoError";
    } catch (const IoError& e) {
        EXPECT_THAT(e.what(), HasSubstr("no_such_dir"));
    }
}

bool have_mdtraj() {
    static const bool available = testing::python_can_import("mdtraj");
    return available;
}

TEST_F(PdbTrajectory, MdtrajReadsTheDcdAndTheModelsAsWritten) {
    if (!have_mdtraj()) GTEST_SKIP() << "needs " << kPython << " with mdtraj (python3-mdtraj)";
    const at::Tensor frames = aldp_frames(5, 8);
    write_npy(file("frames.npy").string(), frames);
    write_dcd(file("t.dcd"), frames.to(at::kFloat), 0.1);
    write_pdb_models(file("t.pdb"), read_pdb_atoms(kAldp), frames);

    const fs::path script = file("check.py");
    std::ofstream(script) << fmt::format(
        "import numpy as np, mdtraj\n"
        "d, top = r'{}', r'{}'\n"
        "f = np.load(d + '/frames.npy')\n"
        "ref = mdtraj.load(top)\n"
        "dcd = mdtraj.load_dcd(d + '/t.dcd', top=top)\n"
        "assert dcd.xyz.shape == f.shape, dcd.xyz.shape\n"
        "assert dcd.unitcell_vectors is None\n"
        "e_dcd = np.abs(dcd.xyz - f).max()\n"
        "pdb = mdtraj.load(d + '/t.pdb')\n"
        "assert pdb.xyz.shape == f.shape, pdb.xyz.shape\n"
        "e_pdb = np.abs(pdb.xyz - f).max()\n"
        "names = lambda t: [(a.name, a.residue.name, a.residue.resSeq, a.element.symbol)\n"
        "                   for a in t.topology.atoms]\n"
        "assert names(pdb) == names(ref), (names(pdb), names(ref))\n"
        "print('max |error| nm: dcd', e_dcd, 'pdb', e_pdb)\n"
        "assert e_dcd < 1e-6, e_dcd\n"
        "assert e_pdb < 5.001e-5, e_pdb\n"
        "print('ok')\n",
        dir_.string(), kAldp.string());
    std::string log;
    EXPECT_EQ(run_python(script, log), 0) << log;
    EXPECT_THAT(log, HasSubstr("ok"));
    RecordProperty("mdtraj", log);
}

}  // namespace
}  // namespace pita

#endif  // PITA_WITH_OPENMM
