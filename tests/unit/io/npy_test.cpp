#include "pita/io/npy.h"

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <string>

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "pita/core/error.h"
#include "pita/io/sample_set.h"
#include "support/text_helpers.h"

namespace pita {
namespace {

using testing::error_of;
using testing::kPython;
using testing::run_python;

namespace fs = std::filesystem;
using ::testing::HasSubstr;

/// A fresh directory per test, removed afterwards; the pid keeps parallel ctest runs apart.
class Npy : public ::testing::Test {
  protected:
    void SetUp() override {
        static std::atomic<int> counter{0};
        dir_ = fs::temp_directory_path() /
               fmt::format("pita_npy_test_{}_{}", static_cast<long>(::getpid()), counter++);
        fs::create_directories(dir_);
    }
    void TearDown() override {
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }
    std::string file(const std::string& name) const { return (dir_ / name).string(); }

    fs::path dir_;
};

/// Bitwise, so NaN payloads and -0.0 count: value equality would hide a lossy round trip.
void expect_bitwise_equal(const at::Tensor& expected, const at::Tensor& actual) {
    ASSERT_EQ(expected.scalar_type(), actual.scalar_type());
    ASSERT_EQ(expected.sizes(), actual.sizes());
    const at::Tensor a = expected.contiguous();
    const at::Tensor b = actual.contiguous();
    ASSERT_EQ(a.nbytes(), b.nbytes());
    if (a.nbytes() > 0) {
        EXPECT_EQ(0, std::memcmp(a.data_ptr(), b.data_ptr(), a.nbytes()));
    }
}

at::Tensor round_trip(const std::string& path, const at::Tensor& t) {
    write_npy(path, t);
    return read_npy(path);
}

/// Writes a .npy file byte by byte, to build the malformed files numpy would never write.
void write_raw_npy(const std::string& path, const std::string& dict, size_t data_bytes,
                   int major_version = 1) {
    std::ofstream out(path, std::ios::binary);
    out.write("\x93NUMPY", 6);
    out.put(static_cast<char>(major_version));
    out.put('\0');
    const std::string header = dict + "\n";
    const int len_bytes = major_version == 1 ? 2 : 4;
    for (int i = 0; i < len_bytes; ++i)
        out.put(static_cast<char>((header.size() >> (8 * i)) & 0xFF));
    out << header << std::string(data_bytes, '\0');
}

bool have_numpy() {
    static const bool available = testing::python_can_import("numpy");
    return available;
}

TEST_F(Npy, RoundTripsFloat64Bitwise) {
    at::Tensor t = at::randn({3, 4, 5}, at::kDouble);
    t[0][0][0] = std::numeric_limits<double>::quiet_NaN();
    t[0][0][1] = -0.0;
    t[0][0][2] = std::numeric_limits<double>::infinity();
    t[0][0][3] = std::numeric_limits<double>::denorm_min();
    expect_bitwise_equal(t, round_trip(file("a.npy"), t));
}

TEST_F(Npy, RoundTripsFloat32Bitwise) {
    at::Tensor t = at::randn({7, 2}, at::kFloat);
    t[1][1] = -std::numeric_limits<float>::infinity();
    expect_bitwise_equal(t, round_trip(file("a.npy"), t));
}

TEST_F(Npy, RoundTripsInt64AndInt32IncludingExtremes) {
    at::Tensor i64 = at::arange(-5, 7, at::kLong).reshape({3, 4});
    i64[0][0] = std::numeric_limits<int64_t>::min();
    i64[2][3] = std::numeric_limits<int64_t>::max();
    expect_bitwise_equal(i64, round_trip(file("i64.npy"), i64));
    at::Tensor i32 = at::arange(-3, 3, at::kInt);
    i32[0] = std::numeric_limits<int32_t>::min();
    expect_bitwise_equal(i32, round_trip(file("i32.npy"), i32));
}

TEST_F(Npy, RoundTripsBool) {
    const at::Tensor t = at::arange(10, at::kLong).remainder(3).eq(0).reshape({2, 5});
    expect_bitwise_equal(t, round_trip(file("b.npy"), t));
}

TEST_F(Npy, RoundTripsZeroDimensionalTensor) {
    const at::Tensor t = at::scalar_tensor(3.25, at::kDouble);
    const at::Tensor back = round_trip(file("s.npy"), t);
    EXPECT_EQ(back.dim(), 0);
    expect_bitwise_equal(t, back);
    EXPECT_TRUE(read_npy_header(file("s.npy")).shape.empty());
}

TEST_F(Npy, RoundTripsEmptyTensorKeepingItsShape) {
    const at::Tensor t = at::empty({0, 3}, at::kFloat);
    const at::Tensor back = round_trip(file("e.npy"), t);
    EXPECT_EQ(back.sizes(), (std::vector<int64_t>{0, 3}));
}

TEST_F(Npy, WritesNonContiguousTensorInLogicalCOrder) {
    const at::Tensor t = at::arange(12, at::kDouble).reshape({3, 4}).t();
    expect_bitwise_equal(t.contiguous(), round_trip(file("t.npy"), t));
}

TEST_F(Npy, WritesVersion1HeaderAlignedTo64Bytes) {
    write_npy(file("a.npy"), at::zeros({2, 3}, at::kDouble));
    const NpyHeader h = read_npy_header(file("a.npy"));
    EXPECT_EQ(h.descr, "<f8");
    EXPECT_FALSE(h.fortran_order);
    EXPECT_EQ(h.shape, (std::vector<int64_t>{2, 3}));
    EXPECT_EQ(h.major_version, 1);
    EXPECT_EQ(h.data_offset % 64, 0);
}

TEST_F(Npy, ReadsVersion2Header) {
    write_raw_npy(file("v2.npy"), "{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }", 8,
                  2);
    const at::Tensor t = read_npy(file("v2.npy"));
    EXPECT_EQ(t.scalar_type(), at::kInt);
    EXPECT_EQ(t.sizes(), (std::vector<int64_t>{2}));
    EXPECT_EQ(read_npy_header(file("v2.npy")).major_version, 2);
}

TEST_F(Npy, LeavesNoTemporaryFileBehind) {
    write_npy(file("a.npy"), at::ones({4}, at::kFloat));
    for (const auto& entry : fs::directory_iterator(dir_)) {
        EXPECT_EQ(entry.path().filename(), "a.npy");
    }
}

TEST_F(Npy, MissingFileMessageNamesPathAndCause) {
    const std::string path = file("nope.npy");
    const std::string msg = error_of<IoError>([&] { read_npy(path); });
    EXPECT_THAT(msg, HasSubstr("[npy] cannot open '" + path + "': No such file or directory"));
    EXPECT_THAT(msg, HasSubstr("Check the path"));
}

TEST_F(Npy, TruncatedFileReportsExpectedAndActualBytes) {
    write_npy(file("a.npy"), at::ones({2, 3}, at::kDouble));
    fs::resize_file(file("a.npy"), fs::file_size(file("a.npy")) - 8);
    const std::string msg = error_of<IoError>([&] { read_npy(file("a.npy")); });
    EXPECT_THAT(msg, HasSubstr("expected 48 bytes got 40"));
    EXPECT_THAT(msg, HasSubstr("truncated"));
}

TEST_F(Npy, FileTruncatedInsideItsHeaderSaysSo) {
    write_npy(file("a.npy"), at::ones({2, 3}, at::kDouble));
    fs::resize_file(file("a.npy"), 20);
    EXPECT_THAT(error_of<IoError>([&] { read_npy(file("a.npy")); }),
                HasSubstr("truncated inside its header: expected 118 header bytes got 10"));
}

TEST_F(Npy, RejectsTrailingBytesAfterData) {
    write_raw_npy(file("a.npy"), "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", 17);
    EXPECT_THAT(error_of<IoError>([&] { read_npy(file("a.npy")); }),
                HasSubstr("expected 16 bytes got 17"));
}

TEST_F(Npy, RejectsFortranOrderNamingWhatWasFound) {
    write_raw_npy(file("f.npy"), "{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }", 48);
    const std::string msg = error_of<IoError>([&] { read_npy(file("f.npy")); });
    EXPECT_THAT(msg, HasSubstr("got fortran_order True; expected False"));
    EXPECT_TRUE(read_npy_header(file("f.npy")).fortran_order);
}

TEST_F(Npy, RejectsUnsupportedDtypeNamingIt) {
    write_raw_npy(file("c.npy"), "{'descr': '<c16', 'fortran_order': False, 'shape': (1,), }", 16);
    const std::string msg = error_of<IoError>([&] { read_npy(file("c.npy")); });
    EXPECT_THAT(msg, HasSubstr("got '<c16'"));
    EXPECT_THAT(msg, HasSubstr("expected '<f4', '<f8'"));
    write_raw_npy(file("be.npy"), "{'descr': '>f8', 'fortran_order': False, 'shape': (1,), }", 8);
    EXPECT_THAT(error_of<IoError>([&] { read_npy(file("be.npy")); }), HasSubstr("newbyteorder"));
}

TEST_F(Npy, RejectsFileWithoutMagicString) {
    std::ofstream(file("x.npy")) << "hello, not numpy";
    EXPECT_THAT(error_of<IoError>([&] { read_npy(file("x.npy")); }),
                HasSubstr("is not a .npy file"));
}

TEST_F(Npy, RejectsMalformedHeader) {
    write_raw_npy(file("m.npy"), "{'descr': '<f8', 'shape': (2, x), }", 16);
    const std::string msg = error_of<IoError>([&] { read_npy(file("m.npy")); });
    EXPECT_THAT(msg, HasSubstr("malformed header"));
    EXPECT_THAT(msg, HasSubstr("shape is not a tuple of ints"));
}

TEST_F(Npy, WriteRejectsUnsupportedDtype) {
    EXPECT_THAT(error_of<IoError>([&] { write_npy(file("h.npy"), at::zeros({2}, at::kHalf)); }),
                HasSubstr("cannot store dtype Half"));
    EXPECT_FALSE(fs::exists(file("h.npy")));
}

TEST_F(Npy, WriteIntoMissingDirectorySaysSo) {
    const std::string msg = error_of<IoError>(
        [&] { write_npy(file("no_such_dir/a.npy"), at::zeros({2}, at::kFloat)); });
    EXPECT_THAT(msg, HasSubstr("does not exist"));
    EXPECT_THAT(msg, HasSubstr("no_such_dir"));
}

TEST_F(Npy, ReadsFilesWrittenByNumpy) {
    if (!have_numpy()) GTEST_SKIP() << "needs " << kPython << " with numpy";
    const std::string script = file("make.py");
    std::ofstream(script) << fmt::format(
        "import numpy as np\n"
        "d = r'{}'\n"
        "np.save(d + '/f8.npy', np.arange(6, dtype='<f8').reshape(2, 3) / 7)\n"
        "np.save(d + '/f4.npy', np.array([1.5, -2.25], dtype='<f4'))\n"
        "np.save(d + '/i8.npy', np.array([[-1], [2**62]], dtype='<i8'))\n"
        "np.save(d + '/i4.npy', np.array([7, -8], dtype='<i4'))\n"
        "np.save(d + '/b1.npy', np.array([True, False, True]))\n"
        "np.save(d + '/s.npy', np.float64(2.5))\n"
        "np.save(d + '/e.npy', np.zeros((0, 4)))\n"
        "with open(d + '/v2.npy', 'wb') as f:\n"
        "    np.lib.format.write_array(f, np.arange(3, dtype='<i8'), version=(2, 0))\n"
        "np.save(d + '/fortran.npy', np.asfortranarray(np.ones((2, 3))))\n",
        dir_.string());
    std::string log;
    ASSERT_EQ(run_python(script, log), 0) << log;

    expect_bitwise_equal(at::arange(6, at::kDouble).reshape({2, 3}) / 7, read_npy(file("f8.npy")));
    expect_bitwise_equal(at::tensor({1.5F, -2.25F}), read_npy(file("f4.npy")));
    expect_bitwise_equal(at::tensor({int64_t{-1}, int64_t{1} << 62}).reshape({2, 1}),
                         read_npy(file("i8.npy")));
    expect_bitwise_equal(at::tensor({7, -8}, at::kInt), read_npy(file("i4.npy")));
    expect_bitwise_equal(at::tensor({1, 0, 1}).to(at::kBool), read_npy(file("b1.npy")));
    expect_bitwise_equal(at::scalar_tensor(2.5, at::kDouble), read_npy(file("s.npy")));
    EXPECT_EQ(read_npy(file("e.npy")).sizes(), (std::vector<int64_t>{0, 4}));
    expect_bitwise_equal(at::arange(3, at::kLong), read_npy(file("v2.npy")));
    EXPECT_EQ(read_npy_header(file("v2.npy")).major_version, 2);
    EXPECT_THAT(error_of<IoError>([&] { read_npy(file("fortran.npy")); }),
                HasSubstr("fortran_order True"));
}

TEST_F(Npy, NumpyLoadsFilesWrittenByPita) {
    if (!have_numpy()) GTEST_SKIP() << "needs " << kPython << " with numpy";
    write_npy(file("f8.npy"), at::arange(6, at::kDouble).reshape({2, 3}) / 7);
    write_npy(file("f4.npy"), at::tensor({1.5F, -2.25F}));
    write_npy(file("i8.npy"), at::tensor({int64_t{-1}, int64_t{1} << 62}).reshape({2, 1}));
    write_npy(file("i4.npy"), at::tensor({7, -8}, at::kInt));
    write_npy(file("b1.npy"), at::tensor({1, 0, 1}).to(at::kBool));
    write_npy(file("s.npy"), at::scalar_tensor(2.5, at::kDouble));
    write_npy(file("e.npy"), at::zeros({0, 4}, at::kFloat));
    const std::string script = file("check.py");
    std::ofstream(script) << fmt::format(
        "import numpy as np\n"
        "d = r'{}'\n"
        "def check(name, expected):\n"
        "    a = np.load(d + '/' + name)\n"
        "    assert a.dtype == expected.dtype, (name, a.dtype, expected.dtype)\n"
        "    assert a.shape == expected.shape, (name, a.shape, expected.shape)\n"
        "    assert a.tobytes() == expected.tobytes(), (name, a, expected)\n"
        "check('f8.npy', np.arange(6, dtype='<f8').reshape(2, 3) / 7)\n"
        "check('f4.npy', np.array([1.5, -2.25], dtype='<f4'))\n"
        "check('i8.npy', np.array([[-1], [2**62]], dtype='<i8'))\n"
        "check('i4.npy', np.array([7, -8], dtype='<i4'))\n"
        "check('b1.npy', np.array([True, False, True]))\n"
        "check('s.npy', np.array(2.5))\n"
        "check('e.npy', np.zeros((0, 4), dtype='<f4'))\n"
        "print('ok')\n",
        dir_.string());
    std::string log;
    EXPECT_EQ(run_python(script, log), 0) << log;
    EXPECT_THAT(log, HasSubstr("ok"));
}

// A sample set round-trips with its optional per-sample columns, and a column that is not one
// value per sample is refused with the folder and the file named.
TEST_F(Npy, SampleSetReadsItsPerSampleColumnsAndNamesAMisfit) {
    const at::Tensor x = at::randn({4, 3, 3}, at::kDouble);
    const at::Tensor e = at::arange(4, at::kDouble);
    const at::Tensor lineages = at::tensor({7, 7, 2, 9}, at::kLong);
    write_sample_set(file("full"), x, e, at::kDouble, lineages);
    SampleSet set = read_sample_set(file("full"));
    expect_bitwise_equal(x, set.samples);
    expect_bitwise_equal(e, set.energies);
    expect_bitwise_equal(lineages, set.lineages);
    write_sample_set(file("plain"), x, e);
    EXPECT_FALSE(read_sample_set(file("plain")).lineages.defined());
    for (const char* column : {kLineagesFile, kEnergiesFile}) {
        const std::string misfit = file(std::string("misfit_") + column);
        write_sample_set(misfit, x, e, at::kDouble, lineages);
        write_npy(misfit + "/" + column, at::zeros({3}, at::kLong));
        try {
            read_sample_set(misfit);
            ADD_FAILURE() << column << " with 3 values for 4 samples was accepted";
        } catch (const IoError& err) {
            EXPECT_THAT(err.what(), HasSubstr(std::string(column) + " has 3 values for 4 samples"));
        }
    }
}

}  // namespace
}  // namespace pita
