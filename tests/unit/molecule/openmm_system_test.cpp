// load_openmm_system(): every particle index of every force is checked when a System XML is
// read, and a bad file is an IoError naming the file, the force, the entry and the index, for
// every reader (ForceField, OpenMMEnergy, OpenMMReference, Molecule). Before, a bond to
// particle 99 of 22 crashed ForceField and a torsion to -1 or an exception to particle 22 was
// evaluated silently (issue 12, finding 1).
#ifdef PITA_WITH_OPENMM

#include "pita/molecule/openmm_system.h"

#include <filesystem>
#include <string>
#include <vector>

#include <OpenMM.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "pita/core/error.h"
#include "pita/molecule/force_field.h"
#include "pita/molecule/molecule.h"
#include "pita/molecule/openmm_energy.h"
#include "pita/molecule/openmm_reference.h"
#include "support/cli_helpers.h"
#include "support/molecule_helpers.h"

namespace pita {
namespace {

using ::testing::AllOf;
using testing::edit_first_line;
using ::testing::HasSubstr;
using testing::remove_first_line;

std::string aldp_xml() {
    return testing::read_text_file(std::string(PITA_SOURCE_DIR) +
                                   "/data/molecules/aldp.system.xml");
}

/// One broken copy of the ALDP System and what its message must say.
struct BadSystem {
    std::string name;
    std::string xml;
    std::vector<std::string> expected;
};

std::vector<BadSystem> bad_systems() {
    const std::string xml = aldp_xml();
    const std::string hint = "scripts/make_openmm_system.py";
    return {
        {"bond_p1_99",
         edit_first_line(xml, "<Bond ", "p1=\"4\"", "p1=\"99\""),
         {"force 0 (HarmonicBondForce) bond 0 particle p1: got 99; expected 0 to 21", hint}},
        {"angle_p3_22",
         edit_first_line(xml, "<Angle ", "p3=\"2\"", "p3=\"22\""),
         {"force 1 (HarmonicAngleForce) angle 0 particle p3: got 22", hint}},
        {"torsion_p1_minus_1",
         edit_first_line(xml, "<Torsion ", "p1=\"0\"", "p1=\"-1\""),
         {"force 2 (PeriodicTorsionForce) torsion 0 particle p1: got -1", hint}},
        {"exception_p2_22",
         edit_first_line(xml, "<Exception ", "p2=\"1\"", "p2=\"22\""),
         {"force 3 (NonbondedForce) exception 0 particle p2: got 22; expected 0 to 21", hint}},
        {"exception_same_particle",
         edit_first_line(xml, "<Exception ", "p2=\"1\"", "p2=\"0\""),
         {"exception 0 particles p1 and p2: got 0 twice", hint}},
        {"nonbonded_particle_missing",
         remove_first_line(xml, "<Particle eps="),
         {"force 3 (NonbondedForce) particles: got 21; expected the System's 22", hint}},
        {"custom_gb_particle_missing",
         remove_first_line(xml, "<Particle param1="),
         {"(CustomGBForce) particles: got 21; expected the System's 22", hint}},
        // (A NaN mass is refused earlier, by the text pass: UnreadableXml... below.)
        {"mass_negative",
         edit_first_line(xml, "<Particle mass=", "mass=\"1.008\"", "mass=\"-1\""),
         {"particle 0 mass: got -1", hint}},
    };
}

/// The file must be named as well: messages name it, not "<string>".
class OpenMMSystem : public testing::ScratchDirTest {};

TEST_F(OpenMMSystem, BadParticleIndicesAreIoErrorsNamingFileForceEntryAndIndex) {
    for (const BadSystem& bad : bad_systems()) {
        SCOPED_TRACE(bad.name);
        const std::filesystem::path path = dir_ / (bad.name + ".system.xml");
        testing::write_text_file(path, bad.xml);
        std::vector<::testing::Matcher<std::string>> all{HasSubstr(path.string()),
                                                         HasSubstr("Hint")};
        for (const std::string& s : bad.expected) all.push_back(HasSubstr(s));
        const auto message = ::testing::AllOfArray(all);
        EXPECT_THAT([&] { load_openmm_system(path); }, ::testing::ThrowsMessage<IoError>(message));
        // Every reader: ForceField's kernels would index out of bounds, OpenMM would throw its
        // own exception from the Context (an "unexpected failure", exit 3, in the CLI).
        EXPECT_THAT([&] { ForceField ff(path); }, ::testing::ThrowsMessage<IoError>(message));
        EXPECT_THAT([&] { ForceField::from_xml_string(bad.xml, path.string()); },
                    ::testing::ThrowsMessage<IoError>(message));
        EXPECT_THAT([&] { OpenMMEnergy e(path, OpenMMPlatform::Reference, 1); },
                    ::testing::ThrowsMessage<IoError>(message));
        EXPECT_THAT([&] { OpenMMReference r(path, OpenMMPlatform::Reference); },
                    ::testing::ThrowsMessage<IoError>(message));
        MoleculeParams p = testing::molecule_params("aldp");
        p.system = path;
        for (const char* engine : {"force_field", "openmm"}) {
            p.engine = engine;
            EXPECT_THAT([&] { Molecule m(p); }, ::testing::ThrowsMessage<IoError>(message))
                << engine;
        }
    }
}

TEST_F(OpenMMSystem, ManyBadEntriesAreCountedAndTheFirstFewShown) {
    // p1 of the first 7 bonds prefixed with 9: 94, 94, 91, ... (none of them a particle).
    std::string xml = aldp_xml();
    size_t at = 0;
    for (int k = 0; k < 7; ++k) {
        at = xml.find("p1=\"", xml.find("<Bond ", at)) + 4;
        xml.insert(at, "9");
    }
    const std::filesystem::path path = dir_ / "many.system.xml";
    testing::write_text_file(path, xml);
    EXPECT_THAT([&] { load_openmm_system(path); },
                ::testing::ThrowsMessage<IoError>(
                    AllOf(HasSubstr("7 invalid entries"), HasSubstr("and 2 more"))));
}

TEST_F(OpenMMSystem, UnreadableXmlMissingAttributesAndUnknownForcesAreIoErrors) {
    const std::string xml = aldp_xml();
    const std::string unknown_force = edit_first_line(
        xml, "name=\"CMMotionRemover\"", "type=\"CMMotionRemover\"", "type=\"NoSuchForce\"");
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"missing_k", edit_first_line(xml, "<Bond ", " k=\"265265.6\"", "")},
        {"missing_p2", edit_first_line(xml, "<Torsion ", " p2=\"1\"", "")},
        {"unknown_force", unknown_force},
        {"truncated", xml.substr(0, xml.size() / 2)},
        {"empty", ""},
        {"not_xml", "this is not a System\n"},
        // OpenMM's reader takes these as 0, NaN and a System without its last forces.
        {"non_numeric_k", edit_first_line(xml, "<Bond ", "k=\"265265.6\"", "k=\"abc\"")},
        {"nan_length", edit_first_line(xml, "<Bond ", "d=\".1522\"", "d=\"nan\"")},
        {"cut_after_an_element", xml.substr(0, xml.find("</Forces>"))},
    };
    for (const auto& [name, text] : cases) {
        SCOPED_TRACE(name);
        const std::filesystem::path path = dir_ / (name + ".system.xml");
        testing::write_text_file(path, text);
        const auto message = AllOf(HasSubstr("[openmm_system]"), HasSubstr(path.string()),
                                   HasSubstr("Hint"), HasSubstr("scripts/make_openmm_system.py"));
        EXPECT_THAT([&] { load_openmm_system(path); }, ::testing::ThrowsMessage<IoError>(message));
        EXPECT_THAT([&] { OpenMMEnergy e(path, OpenMMPlatform::Reference, 1); },
                    ::testing::ThrowsMessage<IoError>(message));
    }
    EXPECT_THAT([&] { load_openmm_system(dir_ / "absent.system.xml"); },
                ::testing::ThrowsMessage<IoError>(HasSubstr("absent.system.xml")));
}

TEST(OpenMMSystemValid, ShippedSystemsAndFixturesLoadUnchanged) {
    const std::string root = PITA_SOURCE_DIR;
    for (const std::string& file :
         {root + "/data/molecules/aldp.system.xml", root + "/data/molecules/aaa.system.xml",
          root + "/data/molecules/aaaa.system.xml",
          root + "/tests/fixtures/molecule/aldp_amber99_obc.system.xml",
          root + "/tests/fixtures/molecule/gbsa_engulfed.system.xml"}) {
        SCOPED_TRACE(file);
        std::unique_ptr<OpenMM::System> system;
        ASSERT_NO_THROW(system = load_openmm_system(file));
        EXPECT_GT(system->getNumParticles(), 0);
        EXPECT_GT(system->getNumForces(), 0);
    }
}

}  // namespace
}  // namespace pita

#endif  // PITA_WITH_OPENMM
