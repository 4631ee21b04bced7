// Bad molecule inputs through the binary: exit code 2 and a message naming the file and the
// problem, for both engines, in `pita mcmc` and `pita md`. Before (issue 12, findings 1 and
// 10): a bond to a particle out of range crashed (exit 139) with engine force_field and was an
// "unexpected failure" (exit 3) with engine openmm; a NaN coordinate in the PDB was exit 3.
#ifdef PITA_WITH_OPENMM

#include <filesystem>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/cli_helpers.h"
#include "support/molecule_helpers.h"

namespace {

using pita::testing::Outcome;
using pita::testing::run_pita;
using ::testing::HasSubstr;
using ::testing::Not;

class MoleculeInputCliTest : public pita::testing::ScratchDirTest {
  protected:
    const std::string data_ = std::string(PITA_SOURCE_DIR) + "/data/molecules/";

    /// A config for `command` (mcmc or md) on `system` and `pdb`, with `engine`; tiny runs.
    std::string config(const std::string& command, const std::string& system,
                       const std::string& pdb, const std::string& engine) const {
        std::string text = "seed: 1\nthreads: 1\nenergy:\n  type: molecule\n  system: " + system +
                           "\n  pdb: " + pdb + "\n  engine: " + engine + "\n";
        if (command == "mcmc")
            text +=
                "mcmc:\n  temperatures: [300.0]\n  n_chains: 2\n  warmup_steps: 2\n"
                "  production_steps: 2\n  thin: 1\n";
        else
            text +=
                "md:\n  temperature: 300\n  n_replicas: 1\n  warmup_steps: 2\n"
                "  n_frames: 1\n  steps_per_frame: 2\n";
        return pita::testing::write_text_file(dir_ / (command + "_" + engine + ".yaml"), text);
    }

    Outcome run(const std::string& command, const std::string& system, const std::string& pdb,
                const std::string& engine) const {
        return run_pita(command + " " + config(command, system, pdb, engine) + " --out " +
                        (dir_ / (command + "_" + engine)).string());
    }
};

TEST_F(MoleculeInputCliTest, BondToAMissingParticleIsExitTwoNamingFileBondAndIndex) {
    const std::string bad = pita::testing::write_text_file(
        dir_ / "bond_99.system.xml",
        pita::testing::edit_first_line(pita::testing::read_text_file(data_ + "aldp.system.xml"),
                                       "<Bond ", "p1=\"4\"", "p1=\"99\""));
    for (const std::string command : {"mcmc", "md"}) {
        for (const std::string engine : {"force_field", "openmm"}) {
            SCOPED_TRACE(command + " " + engine);
            const Outcome o = run(command, bad, data_ + "aldp.pdb", engine);
            EXPECT_EQ(o.exit_code, 2) << o.output;
            EXPECT_THAT(o.output, HasSubstr(bad));
            EXPECT_THAT(o.output, HasSubstr("force 0 (HarmonicBondForce) bond 0 particle p1: "
                                            "got 99; expected 0 to 21"));
            EXPECT_THAT(o.output, HasSubstr("scripts/make_openmm_system.py"));
            EXPECT_THAT(o.output, Not(HasSubstr("unexpected failure")));
        }
    }
}

TEST_F(MoleculeInputCliTest, TorsionAndExceptionIndicesOutOfRangeAreExitTwo) {
    const std::string xml = pita::testing::read_text_file(data_ + "aldp.system.xml");
    const std::string torsion = pita::testing::write_text_file(
        dir_ / "torsion.system.xml",
        pita::testing::edit_first_line(xml, "<Torsion ", "p1=\"0\"", "p1=\"-1\""));
    const std::string exception = pita::testing::write_text_file(
        dir_ / "exception.system.xml",
        pita::testing::edit_first_line(xml, "<Exception ", "p2=\"1\"", "p2=\"22\""));
    for (const std::string engine : {"force_field", "openmm"}) {
        SCOPED_TRACE(engine);
        Outcome o = run("mcmc", torsion, data_ + "aldp.pdb", engine);
        EXPECT_EQ(o.exit_code, 2) << o.output;
        EXPECT_THAT(o.output, HasSubstr("torsion 0 particle p1: got -1"));
        o = run("md", exception, data_ + "aldp.pdb", engine);
        EXPECT_EQ(o.exit_code, 2) << o.output;
        EXPECT_THAT(o.output, HasSubstr("exception 0 particle p2: got 22"));
    }
}

TEST_F(MoleculeInputCliTest, NanCoordinateInThePdbIsExitTwoNamingLineAtomAndValue) {
    std::string pdb = pita::testing::read_text_file(data_ + "aldp.pdb");
    pdb.replace(pdb.find("HETATM    5") + 38, 8, "     nan");
    const std::string bad = pita::testing::write_text_file(dir_ / "nan.pdb", pdb);
    for (const std::string command : {"md", "mcmc"}) {
        for (const std::string engine : {"force_field", "openmm"}) {
            SCOPED_TRACE(command + " " + engine);
            const Outcome o = run(command, data_ + "aldp.system.xml", bad, engine);
            EXPECT_EQ(o.exit_code, 2) << o.output;
            EXPECT_THAT(o.output, HasSubstr(bad + " line 6 (atom 5"));
            EXPECT_THAT(o.output, HasSubstr("coordinate y: got 'nan'"));
        }
    }
}

TEST_F(MoleculeInputCliTest, PdbWithAnExtraAtomIsExitTwo) {
    std::string pdb = pita::testing::read_text_file(data_ + "aldp.pdb");
    const size_t first = pdb.find("HETATM");
    pdb.insert(first, pdb.substr(first, pdb.find('\n', first) + 1 - first));
    const std::string bad = pita::testing::write_text_file(dir_ / "extra.pdb", pdb);
    const Outcome o = run("md", data_ + "aldp.system.xml", bad, "force_field");
    EXPECT_EQ(o.exit_code, 2) << o.output;
    EXPECT_THAT(o.output, HasSubstr("got 23 atoms"));
}

}  // namespace

#endif  // PITA_WITH_OPENMM
