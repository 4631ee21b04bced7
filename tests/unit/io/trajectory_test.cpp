// DCD files parsed back byte by byte: the CHARMM header, title and atom-count records, the
// frame count kept current while streaming, the X/Y/Z records in float32 Å, and every refusal.
// mdtraj reading them is tested in pdb_trajectory_test.cpp (it needs a topology PDB).
#include "pita/io/trajectory.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <limits>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "pita/core/error.h"
#include "pita/core/rng.h"
#include "support/cli_helpers.h"
#include "support/text_helpers.h"

namespace pita {
namespace {

namespace fs = std::filesystem;
using testing::error_of;
using ::testing::HasSubstr;

constexpr int64_t kHeaderEnd = 92;                          // 4 + 84 + 4
constexpr int64_t kAtomsRecord = kHeaderEnd + 4 + 164 + 4;  // after the two-line title block
constexpr int64_t kFramesStart = kAtomsRecord + 12;

/// A fresh directory per test (pita::testing::ScratchDirTest), and files in it.
class Dcd : public testing::ScratchDirTest {
  protected:
    fs::path file(const std::string& name) const { return dir_ / name; }
};

std::vector<char> bytes_of(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

template <typename T>
T at_offset(const std::vector<char>& bytes, int64_t offset) {
    EXPECT_LE(offset + static_cast<int64_t>(sizeof(T)), static_cast<int64_t>(bytes.size()));
    T value{};
    std::memcpy(&value, bytes.data() + offset, sizeof(T));
    return value;
}

/// The frames of a DCD written by pita, as [n_frames, n_atoms, 3] float32 Å, checking every
/// Fortran record marker on the way.
at::Tensor frames_of(const std::vector<char>& bytes, int64_t n_frames, int64_t n_atoms) {
    const int64_t record = 4 * n_atoms;
    EXPECT_EQ(static_cast<int64_t>(bytes.size()), kFramesStart + n_frames * 3 * (record + 8));
    at::Tensor xyz = at::empty({n_frames, 3, n_atoms}, at::kFloat);
    int64_t offset = kFramesStart;
    for (int64_t row = 0; row < 3 * n_frames; ++row) {
        EXPECT_EQ(at_offset<int32_t>(bytes, offset), record) << "record " << row;
        std::memcpy(xyz.data_ptr<float>() + row * n_atoms, bytes.data() + offset + 4, record);
        EXPECT_EQ(at_offset<int32_t>(bytes, offset + 4 + record), record) << "record " << row;
        offset += record + 8;
    }
    return xyz.permute({0, 2, 1});
}

at::Tensor some_frames(int64_t n_frames, int64_t n_atoms, at::ScalarType dtype, uint64_t seed) {
    at::Generator gen = make_generator(seed);
    return at::randn({n_frames, n_atoms, 3}, gen, at::TensorOptions().dtype(dtype));
}

TEST_F(Dcd, WritesTheCharmmHeaderTitleAndAtomCount) {
    write_dcd(file("t.dcd"), some_frames(3, 5, at::kDouble, 1), 0.5);
    const std::vector<char> b = bytes_of(file("t.dcd"));
    ASSERT_GE(static_cast<int64_t>(b.size()), kFramesStart);
    EXPECT_EQ(at_offset<int32_t>(b, 0), 84);
    EXPECT_EQ(std::string(b.data() + 4, 4), "CORD");
    EXPECT_EQ(at_offset<int32_t>(b, 8), 3);                                           // NSET
    EXPECT_EQ(at_offset<int32_t>(b, 12), 0);                                          // ISTART
    EXPECT_EQ(at_offset<int32_t>(b, 16), 1);                                          // NSAVC
    EXPECT_EQ(at_offset<int32_t>(b, 20), 3);                                          // NSTEP
    EXPECT_FLOAT_EQ(at_offset<float>(b, 44), static_cast<float>(0.5 / 4.888821e-2));  // DELTA
    EXPECT_EQ(at_offset<int32_t>(b, 48), 0);   // no unit cell
    EXPECT_EQ(at_offset<int32_t>(b, 84), 24);  // CHARMM version
    EXPECT_EQ(at_offset<int32_t>(b, 88), 84);
    EXPECT_EQ(at_offset<int32_t>(b, kHeaderEnd), 164);
    EXPECT_EQ(at_offset<int32_t>(b, kHeaderEnd + 4), 2);
    EXPECT_EQ(std::string(b.data() + kHeaderEnd + 8, 8), "REMARKS ");
    EXPECT_EQ(at_offset<int32_t>(b, kAtomsRecord - 4), 164);
    EXPECT_EQ(at_offset<int32_t>(b, kAtomsRecord), 4);
    EXPECT_EQ(at_offset<int32_t>(b, kAtomsRecord + 4), 5);
    EXPECT_EQ(at_offset<int32_t>(b, kAtomsRecord + 8), 4);
    frames_of(b, 3, 5);  // checks the size and every record marker
}

TEST_F(Dcd, StoresEachFrameAsXyzRecordsInAngstromFloat32) {
    for (const auto dtype : {at::kFloat, at::kDouble}) {
        const at::Tensor frames = some_frames(4, 7, dtype, 2);
        write_dcd(file("t.dcd"), frames, 1.0);
        const at::Tensor read = frames_of(bytes_of(file("t.dcd")), 4, 7);
        const at::Tensor expected = (frames.to(at::kDouble) * 10).to(at::kFloat);
        EXPECT_TRUE(at::equal(read, expected)) << c10::toString(dtype);
        EXPECT_LE((read.to(at::kDouble) / 10 - frames.to(at::kDouble)).abs().max().item<double>(),
                  1e-6);
    }
}

TEST_F(Dcd, OneFrameMayBeGivenWithoutTheFrameDimension) {
    const at::Tensor frame = some_frames(1, 3, at::kDouble, 3)[0];
    write_dcd(file("t.dcd"), frame, 1.0);
    const at::Tensor read = frames_of(bytes_of(file("t.dcd")), 1, 3);
    EXPECT_TRUE(at::allclose(read[0].to(at::kDouble), frame * 10, 1e-6, 1e-5));
}

TEST_F(Dcd, StreamingKeepsTheFrameCountCurrentAndCloseRenames) {
    const at::Tensor frames = some_frames(5, 4, at::kFloat, 4);
    DcdWriter writer(file("t.dcd"), 4, 2.0);
    EXPECT_EQ(bytes_of(writer.tmp_path()).size(), static_cast<size_t>(kFramesStart));
    EXPECT_EQ(at_offset<int32_t>(bytes_of(writer.tmp_path()), 8), 0);

    writer.append(frames.slice(0, 0, 2));
    EXPECT_EQ(writer.n_frames(), 2);
    EXPECT_FALSE(fs::exists(file("t.dcd")));
    {
        // Readable mid-run: the tmp file is a complete DCD of the frames so far.
        const std::vector<char> b = bytes_of(writer.tmp_path());
        EXPECT_EQ(at_offset<int32_t>(b, 8), 2);
        EXPECT_EQ(at_offset<int32_t>(b, 20), 2);
        frames_of(b, 2, 4);
    }
    writer.append(frames.slice(0, 2, 4));
    writer.append(frames[4]);
    EXPECT_EQ(writer.n_frames(), 5);
    writer.close();
    EXPECT_FALSE(fs::exists(writer.tmp_path()));

    write_dcd(file("whole.dcd"), frames, 2.0);
    EXPECT_EQ(bytes_of(file("t.dcd")), bytes_of(file("whole.dcd")));
    EXPECT_EQ(at_offset<int32_t>(bytes_of(file("t.dcd")), 8), 5);
}

TEST_F(Dcd, AWriterNotClosedLeavesItsFramesInTheTmpFileOnly) {
    fs::path tmp;
    {
        DcdWriter writer(file("t.dcd"), 2, 1.0);
        writer.append(some_frames(3, 2, at::kDouble, 5));
        tmp = writer.tmp_path();
    }
    EXPECT_FALSE(fs::exists(file("t.dcd")));
    ASSERT_TRUE(fs::exists(tmp));
    EXPECT_EQ(at_offset<int32_t>(bytes_of(tmp), 8), 3);
    frames_of(bytes_of(tmp), 3, 2);
}

TEST_F(Dcd, ARefusedAppendWritesNothing) {
    DcdWriter writer(file("t.dcd"), 3, 1.0);
    writer.append(some_frames(1, 3, at::kDouble, 6));
    const std::vector<char> before = bytes_of(writer.tmp_path());
    EXPECT_THAT(error_of<ConfigError>([&] { writer.append(some_frames(1, 4, at::kDouble, 7)); }),
                HasSubstr("got 4 atoms per frame; expected 3"));
    at::Tensor bad = some_frames(2, 3, at::kDouble, 8);
    bad[1][2][0] = std::numeric_limits<double>::quiet_NaN();
    EXPECT_THAT(error_of<ConfigError>([&] { writer.append(bad); }),
                HasSubstr("the first at frame 1, atom 2"));
    EXPECT_EQ(bytes_of(writer.tmp_path()), before);
    writer.append(some_frames(1, 3, at::kDouble, 9));
    writer.close();
    EXPECT_EQ(at_offset<int32_t>(bytes_of(file("t.dcd")), 8), 2);
}

TEST_F(Dcd, RefusesNonFiniteCoordinatesAndLeavesNoFile) {
    at::Tensor frames = some_frames(3, 5, at::kFloat, 10);
    frames[2][4][1] = std::numeric_limits<float>::infinity();
    const std::string msg = error_of<ConfigError>([&] { write_dcd(file("t.dcd"), frames, 1.0); });
    EXPECT_THAT(msg, HasSubstr("[dcd] frames: got non-finite coordinates"));
    EXPECT_THAT(msg, HasSubstr("frame 2, atom 4"));
    EXPECT_THAT(msg, HasSubstr("smaller time step"));
    EXPECT_TRUE(fs::is_empty(dir_));
}

TEST_F(Dcd, RefusesCoordinatesBeyondFloat32) {
    at::Tensor frames = some_frames(1, 2, at::kDouble, 11);
    frames[0][1][2] = 1e38;  // 1e39 Å
    EXPECT_THAT(error_of<ConfigError>([&] { write_dcd(file("t.dcd"), frames, 1.0); }),
                HasSubstr("beyond float32"));
    EXPECT_TRUE(fs::is_empty(dir_));
}

TEST_F(Dcd, RefusesBadShapesAndDtypesNamingTheShape) {
    EXPECT_THAT(error_of<ConfigError>([&] {
                    write_dcd(file("t.dcd"), at::zeros({2, 5, 2}, at::kFloat), 1.0);
                }),
                HasSubstr("got shape [2, 5, 2]; expected [n_frames, n_atoms, 3]"));
    EXPECT_THAT(
        error_of<ConfigError>([&] { write_dcd(file("t.dcd"), at::zeros({6}, at::kFloat), 1.0); }),
        HasSubstr("got shape [6]"));
    EXPECT_THAT(error_of<ConfigError>([&] {
                    write_dcd(file("t.dcd"), at::zeros({0, 5, 3}, at::kFloat), 1.0);
                }),
                HasSubstr("at least one frame"));
    EXPECT_THAT(error_of<ConfigError>([&] {
                    write_dcd(file("t.dcd"), at::zeros({1, 5, 3}, at::kLong), 1.0);
                }),
                HasSubstr("expected float32 or float64"));
    EXPECT_THAT(error_of<ConfigError>([&] { write_dcd(file("t.dcd"), at::Tensor(), 1.0); }),
                HasSubstr("undefined tensor"));
    EXPECT_TRUE(fs::is_empty(dir_));
}

TEST_F(Dcd, RefusesABadTimeStepOrAtomCount) {
    const at::Tensor frames = at::zeros({1, 2, 3}, at::kFloat);
    for (const double dt : {0.0, -1.0, std::numeric_limits<double>::quiet_NaN()}) {
        EXPECT_THAT(error_of<ConfigError>([&] { write_dcd(file("t.dcd"), frames, dt); }),
                    HasSubstr("time_step_ps: got"));
    }
    EXPECT_THAT(error_of<ConfigError>([&] { DcdWriter(file("t.dcd"), 0, 1.0); }),
                HasSubstr("n_atoms: got 0"));
    EXPECT_TRUE(fs::is_empty(dir_));
}

TEST_F(Dcd, AnUnwritablePathIsAnIoErrorNamingIt) {
    const at::Tensor frames = at::zeros({1, 2, 3}, at::kFloat);
    const std::string msg =
        error_of<IoError>([&] { write_dcd(file("no_such_dir/t.dcd"), frames, 1.0); });
    EXPECT_THAT(msg, HasSubstr("no_such_dir"));
    EXPECT_THAT(msg, HasSubstr("does not exist"));
    // A directory in the way of the final name: the rename fails and no tmp file is left.
    fs::create_directories(file("taken.dcd"));
    EXPECT_THAT(error_of<IoError>([&] { write_dcd(file("taken.dcd"), frames, 1.0); }),
                HasSubstr("cannot rename"));
    EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 1);
}

TEST_F(Dcd, AppendOrCloseAfterCloseIsRefused) {
    DcdWriter writer(file("t.dcd"), 2, 1.0);
    writer.append(at::zeros({2, 3}, at::kFloat));
    writer.close();
    EXPECT_THAT(error_of<IoError>([&] {
                    writer.append(at::zeros({2, 3}, at::kFloat));
                }),
                HasSubstr("the writer is closed"));
    EXPECT_THAT(error_of<IoError>([&] { writer.close(); }), HasSubstr("already closed"));
}

}  // namespace
}  // namespace pita
