// read_pdb_positions() takes only finite numbers: std::stod alone read "nan", "inf" and
// "0.3x8" (as 0.3), and a NaN start structure failed later as an "unexpected failure" (exit 3)
// in `pita md` (issue 12, finding 10).
#include "pita/molecule/pdb.h"

#include <filesystem>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "pita/core/error.h"
#include "support/cli_helpers.h"
#include "support/molecule_helpers.h"

namespace pita {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

std::string aldp_pdb_path() { return std::string(PITA_SOURCE_DIR) + "/data/molecules/aldp.pdb"; }

/// The ALDP PDB with one coordinate field (8 columns) of atom 2 (line 3, CH3) replaced.
std::string with_field(int axis, const std::string& field8) {
    std::string pdb = testing::read_text_file(aldp_pdb_path());
    const size_t line = pdb.find("HETATM    2");
    EXPECT_NE(line, std::string::npos);
    EXPECT_EQ(field8.size(), 8u);
    pdb.replace(line + 30 + 8 * static_cast<size_t>(axis), 8, field8);
    return pdb;
}

class Pdb : public testing::ScratchDirTest {};

TEST_F(Pdb, ValidFileReadsInNanometres) {
    const at::Tensor x = read_pdb_positions(aldp_pdb_path());
    ASSERT_EQ(x.sizes(), (std::vector<int64_t>{22, 3}));
    EXPECT_DOUBLE_EQ(x[0][0].item<double>(), 0.0358);  // 0.358 Å
    EXPECT_DOUBLE_EQ(x[0][1].item<double>(), -0.1405);
    EXPECT_TRUE(x.isfinite().all().item<bool>());
}

TEST_F(Pdb, NonFiniteOrUnparsableCoordinateNamesFileLineAtomAndValue) {
    struct Case {
        int axis;
        std::string field;
        std::string shown;
    };
    const std::vector<Case> cases = {{0, "     nan", "'nan'"},   {1, "     NaN", "'NaN'"},
                                     {2, "     inf", "'inf'"},   {0, "    -inf", "'-inf'"},
                                     {1, "   0.3x8", "'0.3x8'"}, {2, "        ", "''"},
                                     {0, "  1e999 ", "'1e999'"}};
    for (const Case& c : cases) {
        SCOPED_TRACE(c.field);
        const std::string path =
            testing::write_text_file(dir_ / "bad.pdb", with_field(c.axis, c.field));
        const std::string axis(1, "xyz"[c.axis]);
        const auto message = AllOf(HasSubstr("[pdb] " + path + " line 3 (atom 2 'CH3')"),
                                   HasSubstr("coordinate " + axis + ": got " + c.shown),
                                   HasSubstr("expected a finite number"), HasSubstr("Hint"));
        EXPECT_THAT([&] { read_pdb_positions(path); }, ::testing::ThrowsMessage<IoError>(message));
    }
}

TEST_F(Pdb, TruncatedAtomLineIsAnIoError) {
    std::string pdb = testing::read_text_file(aldp_pdb_path());
    const size_t line = pdb.find("HETATM    2");
    pdb.erase(line + 46, pdb.find('\n', line) - (line + 46));  // ends after y
    const std::string path = testing::write_text_file(dir_ / "short.pdb", pdb);
    EXPECT_THAT([&] { read_pdb_positions(path); },
                ::testing::ThrowsMessage<IoError>(
                    AllOf(HasSubstr("line 3 (atom 2 'CH3')"), HasSubstr("coordinate z: got ''"))));
}

}  // namespace
}  // namespace pita
