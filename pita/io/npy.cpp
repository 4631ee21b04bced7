#include "pita/io/npy.h"

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <memory>
#include <ostream>

#include <ATen/core/Tensor.h>
#include <ATen/ops/empty.h>
#include <fmt/ranges.h>

#include "pita/core/error.h"
#include "pita/io/atomic_file.h"

// The data bytes are copied verbatim; a big-endian host would need byte swaps nobody tests.
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "pita's .npy I/O assumes little-endian");

namespace pita {
namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicSize = 6;
constexpr size_t kAlignment = 64;  // numpy >= 1.14 aligns the data to 64 bytes
constexpr const char* kSupported = "'<f4', '<f8', '<i8', '<i4', '|i1', '|u1' or '|b1'";

struct DtypeEntry {
    const char* descr;
    at::ScalarType type;
};
// One table for both directions, so reading what pita wrote can never disagree with writing.
constexpr DtypeEntry kDtypes[] = {
    {"<f4", at::kFloat}, {"<f8", at::kDouble}, {"<i8", at::kLong}, {"<i4", at::kInt},
    {"|i1", at::kChar},  {"|u1", at::kByte},   {"|b1", at::kBool},
};

struct FileCloser {
    void operator()(std::FILE* f) const { std::fclose(f); }
};
using File = std::unique_ptr<std::FILE, FileCloser>;

File open_for_reading(const std::string& path) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
        throw IoError(
            fmt::format("[npy] cannot open '{}': it is a directory; expected a .npy file.", path));
    }
    File f(std::fopen(path.c_str(), "rb"));
    if (!f) {
        throw IoError(
            fmt::format("[npy] cannot open '{}': {}. Check the path (relative paths are "
                        "resolved from the current directory) and permissions.",
                        path, std::strerror(errno)));
    }
    return f;
}

/// A small parser for the Python dict literal numpy writes, e.g.
/// {'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }
class HeaderParser {
  public:
    HeaderParser(const std::string& path, const std::string& text) : path_(path), text_(text) {}

    void parse(NpyHeader& h) {
        bool have_descr = false, have_order = false, have_shape = false;
        expect('{');
        while (skip_space(), peek() != '}') {
            const std::string key = parse_string();
            skip_space();
            expect(':');
            skip_space();
            if (key == "descr") {
                if (peek() == '[') fail("structured dtypes (a list 'descr') are not supported");
                h.descr = parse_string();
                have_descr = true;
            } else if (key == "fortran_order") {
                h.fortran_order = parse_bool();
                have_order = true;
            } else if (key == "shape") {
                h.shape = parse_shape();
                have_shape = true;
            } else {
                fail(fmt::format("unexpected key '{}'", key));
            }
            skip_space();
            if (peek() == ',') ++pos_;
        }
        if (!have_descr || !have_order || !have_shape) fail("a key is missing");
    }

  private:
    [[noreturn]] void fail(const std::string& what) const {
        throw IoError(fmt::format(
            "[npy] malformed header in '{}': {}; got \"{}\"; expected a dict with 'descr', "
            "'fortran_order' and 'shape'. The file may be corrupted or not a .npy file.",
            path_, what, text_));
    }
    char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
    void skip_space() {
        while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
    }
    void expect(char c) {
        if (peek() != c) fail(fmt::format("expected '{}' at offset {}", c, pos_));
        ++pos_;
    }
    std::string parse_string() {
        const char quote = peek();
        if (quote != '\'' && quote != '"')
            fail(fmt::format("expected a string at offset {}", pos_));
        const size_t end = text_.find(quote, pos_ + 1);
        if (end == std::string::npos) fail("unterminated string");
        std::string s = text_.substr(pos_ + 1, end - pos_ - 1);
        pos_ = end + 1;
        return s;
    }
    bool parse_bool() {
        for (const auto& [word, value] : {std::pair{"True", true}, std::pair{"False", false}}) {
            if (text_.compare(pos_, std::strlen(word), word) == 0) {
                pos_ += std::strlen(word);
                return value;
            }
        }
        fail("fortran_order is neither True nor False");
    }
    std::vector<int64_t> parse_shape() {
        std::vector<int64_t> shape;
        expect('(');
        while (skip_space(), peek() != ')') {
            if (!std::isdigit(static_cast<unsigned char>(peek())))
                fail("shape is not a tuple of ints");
            int64_t n = 0;
            while (std::isdigit(static_cast<unsigned char>(peek()))) {
                if (n > (std::numeric_limits<int64_t>::max() - 9) / 10)
                    fail("a dimension overflows");
                n = n * 10 + (text_[pos_++] - '0');
            }
            if (peek() == 'L') ++pos_;  // Python 2 longs, e.g. (3L,)
            shape.push_back(n);
            skip_space();
            if (peek() == ',')
                ++pos_;
            else if (peek() != ')')
                fail("shape is not a tuple of ints");
        }
        ++pos_;
        return shape;
    }

    const std::string& path_;
    const std::string& text_;
    size_t pos_ = 0;
};

NpyHeader read_header(std::FILE* f, const std::string& path) {
    unsigned char prefix[kMagicSize + 2];
    if (std::fread(prefix, 1, sizeof prefix, f) != sizeof prefix ||
        std::memcmp(prefix, kMagic, kMagicSize) != 0) {
        throw IoError(
            fmt::format("[npy] '{}' is not a .npy file: got no \\x93NUMPY magic string at "
                        "its start; expected a file written by numpy.save or pita.",
                        path));
    }
    NpyHeader h;
    h.major_version = prefix[kMagicSize];
    // v1 stores the header length in 2 bytes; v2/v3 use 4 (v3 only switches the text to UTF-8).
    size_t len_bytes = 0;
    if (h.major_version == 1)
        len_bytes = 2;
    else if (h.major_version == 2 || h.major_version == 3)
        len_bytes = 4;
    else
        throw IoError(
            fmt::format("[npy] unsupported format version in '{}': got {}.{}; expected 1.0, "
                        "2.0 or 3.0.",
                        path, h.major_version, prefix[kMagicSize + 1]));
    unsigned char len_le[4] = {0, 0, 0, 0};
    if (std::fread(len_le, 1, len_bytes, f) != len_bytes) {
        throw IoError(
            fmt::format("[npy] '{}' is truncated inside its header: got no header length. "
                        "The file may be partially written.",
                        path));
    }
    const size_t header_len =
        len_le[0] | (len_le[1] << 8) | (size_t{len_le[2]} << 16) | (size_t{len_le[3]} << 24);
    std::string text(header_len, '\0');
    const size_t got = std::fread(text.data(), 1, header_len, f);
    if (got != header_len) {
        throw IoError(
            fmt::format("[npy] '{}' is truncated inside its header: expected {} header "
                        "bytes got {}. The file may be partially written.",
                        path, header_len, got));
    }
    h.data_offset = static_cast<int64_t>(kMagicSize + 2 + len_bytes + header_len);
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ' || text.back() == '\0')) {
        text.pop_back();
    }
    HeaderParser(path, text).parse(h);
    return h;
}

at::ScalarType dtype_for(const NpyHeader& h, const std::string& path) {
    for (const auto& e : kDtypes) {
        if (h.descr == e.descr) return e.type;
    }
    const bool big_endian = !h.descr.empty() && h.descr[0] == '>';
    throw IoError(fmt::format("[npy] unsupported dtype in '{}': got '{}'; expected {}.{}", path,
                              h.descr, kSupported,
                              big_endian ? " Convert with arr.astype(arr.dtype.newbyteorder('<'))."
                                         : " Convert with arr.astype(np.float64) or similar."));
}

std::string descr_for(at::ScalarType type) {
    for (const auto& e : kDtypes) {
        if (type == e.type) return e.descr;
    }
    throw IoError(
        fmt::format("[npy] cannot store dtype {}: expected float32, float64, int64, "
                    "int32, int8, uint8 or bool. Convert the tensor first, e.g. "
                    ".to(at::kFloat).",
                    c10::toString(type)));
}

std::string make_header(const std::string& descr, at::IntArrayRef sizes) {
    // Python tuple syntax: (), (5,), (2, 3)
    std::string shape = sizes.size() == 1 ? fmt::format("({},)", sizes[0])
                                          : fmt::format("({})", fmt::join(sizes, ", "));
    std::string dict =
        fmt::format("{{'descr': '{}', 'fortran_order': False, 'shape': {}, }}", descr, shape);
    // Pad with spaces and end with '\n' so that magic + version + length + dict is 64-aligned.
    const size_t unpadded = kMagicSize + 2 + 2 + dict.size() + 1;
    dict.append((kAlignment - unpadded % kAlignment) % kAlignment, ' ');
    dict.push_back('\n');
    PITA_CHECK_AS(IoError, dict.size() <= 0xFFFF,
                  "[npy] header too long for format 1.0: got {} bytes; expected at most 65535.",
                  dict.size());
    std::string header(kMagic, kMagicSize);
    header.push_back('\x01');
    header.push_back('\x00');
    header.push_back(static_cast<char>(dict.size() & 0xFF));
    header.push_back(static_cast<char>(dict.size() >> 8));
    return header + dict;
}

}  // namespace

NpyHeader read_npy_header(const std::string& path) {
    File f = open_for_reading(path);
    return read_header(f.get(), path);
}

void write_npy(const std::string& path, const at::Tensor& t) {
    PITA_CHECK_AS(IoError, t.defined(), "[npy] cannot write '{}': got an undefined tensor.", path);
    const std::string header = make_header(descr_for(t.scalar_type()), t.sizes());
    const at::Tensor cpu = t.detach().to(at::kCPU).contiguous();
    const auto n_bytes = static_cast<std::streamsize>(cpu.numel() * cpu.element_size());
    write_file_atomically(path, [&](std::ostream& out) {
        out.write(header.data(), static_cast<std::streamsize>(header.size()));
        if (n_bytes > 0) out.write(static_cast<const char*>(cpu.data_ptr()), n_bytes);
    });
}

at::Tensor read_npy(const std::string& path) {
    File f = open_for_reading(path);
    const NpyHeader h = read_header(f.get(), path);
    const at::ScalarType type = dtype_for(h, path);
    if (h.fortran_order) {
        throw IoError(
            fmt::format("[npy] unsupported order in '{}': got fortran_order True; expected "
                        "False (C order). Save with np.save(path, np.ascontiguousarray(a)).",
                        path));
    }
    // Check the size before allocating, so a corrupted shape cannot ask for terabytes.
    uint64_t expected = c10::elementSize(type);
    for (const int64_t d : h.shape) {
        if (d != 0 && expected > std::numeric_limits<uint64_t>::max() / static_cast<uint64_t>(d)) {
            expected = std::numeric_limits<uint64_t>::max();
            break;
        }
        expected *= static_cast<uint64_t>(d);
    }
    std::error_code ec;
    const uint64_t file_size = std::filesystem::file_size(path, ec);
    const auto offset = static_cast<uint64_t>(h.data_offset);
    const uint64_t actual = !ec && file_size > offset ? file_size - offset : 0;
    if (actual != expected) {
        throw IoError(fmt::format(
            "[npy] data size mismatch in '{}' (dtype '{}', shape ({})): expected {} bytes got {}. "
            "The file is {}.",
            path, h.descr, fmt::join(h.shape, ", "), expected, actual,
            actual < expected ? "truncated (interrupted write or copy?)"
                              : "longer than its header says (corrupted?)"));
    }
    at::Tensor t = at::empty(h.shape, at::TensorOptions().dtype(type));
    if (expected > 0 && std::fread(t.data_ptr(), 1, expected, f.get()) != expected) {
        throw IoError(
            fmt::format("[npy] failed reading data of '{}': {}.", path, std::strerror(errno)));
    }
    return t;
}

}  // namespace pita
