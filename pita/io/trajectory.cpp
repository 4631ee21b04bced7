#include "pita/io/trajectory.h"

#include <unistd.h>

#include <array>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <limits>
#include <utility>
#include <vector>

#include <ATen/core/Tensor.h>
#include <ATen/ops/isfinite.h>
#include <ATen/ops/nonzero.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "pita/core/error.h"

namespace pita {

namespace {

constexpr int32_t kHeaderBytes = 84;
constexpr int64_t kNsetOffset = 8;    // icntrl[0]: frames in the file
constexpr int64_t kNstepOffset = 20;  // icntrl[3]: time steps covered (frames × NSAVC)
constexpr int32_t kCharmmVersion = 24;
constexpr size_t kTitleLine = 80;
// One AKMA time unit (Å, kcal/mol, amu) in ps: CHARMM's DELTA is stored in these.
constexpr double kAkmaTimePs = 4.888821e-2;

// DCD is read as the writer's byte order by every reader we target; pita runs on little-endian
// hosts only (x86-64, aarch64), and so does this raw copy.
template <typename T>
void put(std::vector<char>& bytes, T value) {
    const auto* p = reinterpret_cast<const char*>(&value);
    bytes.insert(bytes.end(), p, p + sizeof(T));
}

std::string title_line(std::string_view text) {
    std::string line = "REMARKS ";
    line.append(text.substr(0, kTitleLine - line.size()));
    line.resize(kTitleLine, ' ');
    return line;
}

}  // namespace

at::Tensor checked_frames_angstrom(const at::Tensor& frames_nm, int64_t n_atoms,
                                   std::string_view component) {
    PITA_CHECK(frames_nm.defined(),
               "[{}] frames: got an undefined tensor; expected [n_frames, n_atoms, 3] in nm.",
               component);
    PITA_CHECK(frames_nm.scalar_type() == at::kFloat || frames_nm.scalar_type() == at::kDouble,
               "[{}] frames: got dtype {}; expected float32 or float64 coordinates in nm.",
               component, c10::toString(frames_nm.scalar_type()));
    const bool shape_ok = (frames_nm.dim() == 3 || frames_nm.dim() == 2) &&
                          frames_nm.size(-1) == 3 && frames_nm.size(-2) >= 1 &&
                          (frames_nm.dim() == 2 || frames_nm.size(0) >= 1);
    PITA_CHECK(shape_ok,
               "[{}] frames: got shape {}; expected [n_frames, n_atoms, 3] or one frame "
               "[n_atoms, 3] with at least one frame and one atom. Reshape flat coordinates "
               "with .view({{n_frames, -1, 3}}).",
               component, fmt::format("[{}]", fmt::join(frames_nm.sizes(), ", ")));
    at::Tensor frames = frames_nm.dim() == 2 ? frames_nm.unsqueeze(0) : frames_nm;
    PITA_CHECK(n_atoms < 0 || frames.size(1) == n_atoms,
               "[{}] frames: got {} atoms per frame; expected {}, the trajectory's atom count.",
               component, frames.size(1), n_atoms);
    frames = frames.to(at::kCPU, at::kDouble).contiguous().mul(10.0);  // nm → Å
    const at::Tensor bad = at::nonzero(at::isfinite(frames).logical_not());
    if (bad.size(0) > 0) {
        const int64_t frame = bad[0][0].item<int64_t>();
        const int64_t atom = bad[0][1].item<int64_t>();
        const auto xyz = frames.accessor<double, 3>()[frame][atom];
        PITA_CHECK(false,
                   "[{}] frames: got non-finite coordinates ({} in all, the first at frame {}, "
                   "atom {}: ({}, {}, {}) nm); expected finite positions. If these are MD frames, "
                   "the simulation blew up: try a smaller time step or check the starting "
                   "structure.",
                   component, bad.size(0), frame, atom, xyz[0] / 10, xyz[1] / 10, xyz[2] / 10);
    }
    return frames;
}

DcdWriter::DcdWriter(std::filesystem::path path, int64_t n_atoms, double time_step_ps,
                     std::string_view title)
    : path_(std::move(path)), n_atoms_(n_atoms) {
    PITA_CHECK(n_atoms >= 1 && n_atoms <= std::numeric_limits<int32_t>::max() / 4,
               "[dcd] n_atoms: got {}; expected 1 to {} (a DCD record length is a 32-bit byte "
               "count).",
               n_atoms, std::numeric_limits<int32_t>::max() / 4);
    PITA_CHECK(std::isfinite(time_step_ps) && time_step_ps > 0,
               "[dcd] time_step_ps: got {}; expected the simulated time between frames in ps, "
               "> 0.",
               time_step_ps);
    // The pid keeps two processes writing the same output apart, as write_file_atomically does.
    tmp_path_ = path_;
    tmp_path_ += fmt::format(".{}.tmp", static_cast<long>(::getpid()));
    errno = 0;
    file_.reset(std::fopen(tmp_path_.c_str(), "wb"));
    if (!file_) {
        const int err = errno;
        const auto parent = path_.parent_path();
        std::error_code ec;
        PITA_CHECK_AS(IoError, parent.empty() || std::filesystem::is_directory(parent, ec),
                      "[dcd] cannot write '{}': directory '{}' does not exist; expected an "
                      "existing directory. Create it first.",
                      path_.string(), parent.string());
        throw IoError(
            fmt::format("[dcd] cannot write '{}': {}. Check permissions and free "
                        "disk space.",
                        tmp_path_.string(), std::strerror(err)));
    }

    std::vector<char> header;
    put<int32_t>(header, kHeaderBytes);
    header.insert(header.end(), {'C', 'O', 'R', 'D'});
    std::array<int32_t, 20> icntrl{};
    icntrl[2] = 1;  // NSAVC: every frame is one DELTA after the previous one
    const auto delta = static_cast<float>(time_step_ps / kAkmaTimePs);
    std::memcpy(&icntrl[9], &delta, sizeof delta);
    icntrl[19] = kCharmmVersion;  // non-zero: CHARMM format (float32 DELTA, optional blocks)
    for (int32_t v : icntrl) put(header, v);  // icntrl[10] = 0: no unit cell per frame
    put<int32_t>(header, kHeaderBytes);

    const std::string title_block = title_line(title) + title_line("coordinates in Angstrom");
    const auto title_bytes = static_cast<int32_t>(sizeof(int32_t) + title_block.size());
    put<int32_t>(header, title_bytes);
    put<int32_t>(header, static_cast<int32_t>(title_block.size() / kTitleLine));
    header.insert(header.end(), title_block.begin(), title_block.end());
    put<int32_t>(header, title_bytes);

    put<int32_t>(header, 4);
    put<int32_t>(header, static_cast<int32_t>(n_atoms));
    put<int32_t>(header, 4);
    try {
        write_bytes(header.data(), header.size());
        flush();
    } catch (const IoError&) {
        std::error_code ec;
        std::filesystem::remove(tmp_path_, ec);  // not even a header: nothing worth keeping
        throw;
    }
}

DcdWriter::~DcdWriter() = default;

void DcdWriter::fail_write(int err) {
    file_.reset();  // the file may end mid-frame now: refuse any further append
    throw IoError(
        fmt::format("[dcd] failed while writing '{}': {}. Check free disk space; the "
                    "first {} frames there are complete.",
                    tmp_path_.string(), err != 0 ? std::strerror(err) : "short write", n_frames_));
}

void DcdWriter::write_bytes(const void* data, size_t n_bytes) {
    errno = 0;
    if (std::fwrite(data, 1, n_bytes, file_.get()) != n_bytes) fail_write(errno);
}

void DcdWriter::flush() {
    errno = 0;
    if (std::fflush(file_.get()) != 0) fail_write(errno);
}

void DcdWriter::append(const at::Tensor& frames_nm) {
    PITA_CHECK_AS(IoError, file_ != nullptr,
                  "[dcd] append to '{}': the writer is closed (or an earlier write failed); "
                  "expected an open DcdWriter.",
                  path_.string());
    const at::Tensor frames = checked_frames_angstrom(frames_nm, n_atoms_, "dcd");
    const int64_t n_new = frames.size(0);
    PITA_CHECK(n_frames_ + n_new <= std::numeric_limits<int32_t>::max(),
               "[dcd] frames: got {} in all; expected at most {} (NSET is 32-bit). Split the "
               "trajectory into several files.",
               n_frames_ + n_new, std::numeric_limits<int32_t>::max());
    const at::Tensor xyz_major = frames.permute({0, 2, 1}).to(at::kFloat).contiguous();
    // A coordinate that fits float64 but not float32 would come back as inf in every reader.
    PITA_CHECK(
        at::isfinite(xyz_major).all().item<bool>(),
        "[dcd] frames: got a coordinate beyond float32 range (|x| > 3.4e38 Angstrom); expected "
        "positions a DCD can store.");

    const auto record_bytes = static_cast<int32_t>(4 * n_atoms_);
    std::vector<char> bytes;
    bytes.reserve(static_cast<size_t>(n_new) * 3 * (record_bytes + 8));
    const float* data = xyz_major.data_ptr<float>();
    for (int64_t row = 0; row < 3 * n_new; ++row) {
        put<int32_t>(bytes, record_bytes);
        const auto* p = reinterpret_cast<const char*>(data + row * n_atoms_);
        bytes.insert(bytes.end(), p, p + record_bytes);
        put<int32_t>(bytes, record_bytes);
    }
    write_bytes(bytes.data(), bytes.size());
    n_frames_ += n_new;

    // NSET and NSTEP after the frames they count, so a reader never sees a frame count larger
    // than the complete frames in the file.
    const auto nset = static_cast<int32_t>(n_frames_);
    for (const int64_t offset : {kNsetOffset, kNstepOffset}) {
        if (std::fseek(file_.get(), offset, SEEK_SET) != 0) fail_write(errno);
        write_bytes(&nset, sizeof nset);
    }
    if (std::fseek(file_.get(), 0, SEEK_END) != 0) fail_write(errno);
    flush();
}

void DcdWriter::close() {
    PITA_CHECK_AS(IoError, file_ != nullptr,
                  "[dcd] close '{}': the writer is already closed (or an earlier write failed).",
                  path_.string());
    const int closed = std::fclose(file_.release());
    PITA_CHECK_AS(IoError, closed == 0,
                  "[dcd] failed while closing '{}': {}. Check free disk "
                  "space.",
                  tmp_path_.string(), std::strerror(errno));
    std::error_code ec;
    std::filesystem::rename(tmp_path_, path_, ec);
    PITA_CHECK_AS(IoError, !ec, "[dcd] cannot rename '{}' to '{}': {}. Is '{}' a directory?",
                  tmp_path_.string(), path_.string(), ec.message(), path_.string());
}

void write_dcd(const std::filesystem::path& path, const at::Tensor& frames_nm, double time_step_ps,
               std::string_view title) {
    // Checked here too so that a bad shape is named as such, not as a bad atom count.
    const int64_t n_atoms = checked_frames_angstrom(frames_nm, -1, "dcd").size(1);
    DcdWriter writer(path, n_atoms, time_step_ps, title);
    try {
        writer.append(frames_nm);
        writer.close();
    } catch (...) {
        std::error_code ec;
        std::filesystem::remove(writer.tmp_path(), ec);  // nothing to keep from a one-shot write
        throw;
    }
}

}  // namespace pita
