#include "pita/io/run_directory.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "pita/core/error.h"
#include "pita/core/version.h"
#include "pita/io/atomic_file.h"

namespace pita {
namespace {

std::string utc_now_iso8601() {
    const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm utc{};
    gmtime_r(&now, &utc);  // gmtime() shares a static buffer across threads
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &utc);
    return buf;
}

std::string hostname() {
    char buf[256] = {};
    if (gethostname(buf, sizeof buf - 1) != 0) return "unknown";
    return buf;
}

}  // namespace

struct RunDirectory::Lock {
    int fd = -1;
    ~Lock() {
        if (fd >= 0) ::close(fd);  // closing releases the flock
    }
};

namespace {

namespace fs = std::filesystem;

/// The PID a lock file names ("pid <n> ..."), or "unknown".
std::string lock_holder(const std::string& lock_path) {
    std::ifstream in(lock_path);
    std::string word, pid;
    if (in >> word >> pid && word == "pid") return pid;
    return "unknown";
}

/// "a.npy.1234.tmp" is write_file_atomically's temporary name.
bool is_temporary_file(const fs::path& p) {
    const std::string name = p.filename().string();
    if (name.size() < 6 || name.compare(name.size() - 4, 4, ".tmp") != 0) return false;
    const std::string stem = name.substr(0, name.size() - 4);
    const auto dot = stem.rfind('.');
    if (dot == std::string::npos || dot + 1 == stem.size()) return false;
    for (std::size_t k = dot + 1; k < stem.size(); ++k)
        if (!std::isdigit(static_cast<unsigned char>(stem[k]))) return false;
    return true;
}

int64_t remove_temporary_files(const fs::path& dir) {
    int64_t removed = 0;
    std::error_code ec;
    std::vector<fs::path> stale;
    for (auto it = fs::recursive_directory_iterator(dir, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
        if (it->is_regular_file(ec) && is_temporary_file(it->path())) stale.push_back(it->path());
    for (const auto& p : stale) removed += fs::remove(p, ec) ? 1 : 0;
    return removed;
}

/// The first few entries of `dir` other than the lock file, for the message.
std::vector<std::string> entries_besides_lock(const fs::path& dir) {
    std::vector<std::string> names;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec))
        if (e.path().filename() != RunDirectory::kLockFile)
            names.push_back(e.path().filename().string());
    return names;
}

}  // namespace

RunDirectory RunDirectory::open(const std::string& dir, RunDirectoryMode mode) {
    PITA_CHECK_AS(IoError, !dir.empty(),
                  "[run] empty run directory: got ''; expected a path. Pass --out DIR.");
    std::error_code ec;
    if (fs::exists(dir, ec) && !fs::is_directory(dir, ec)) {
        throw IoError(
            fmt::format("[run] cannot use '{}' as run directory: it exists and is not a "
                        "directory. Choose another output path or remove the file.",
                        dir));
    }
    if (mode == RunDirectoryMode::Resume) {
        PITA_CHECK_AS(IoError, fs::is_directory(dir, ec),
                      "[run] cannot resume '{}': no such directory. Give the output directory "
                      "of an earlier run.",
                      dir);
    }
    fs::create_directories(dir, ec);
    if (ec) {
        throw IoError(
            fmt::format("[run] cannot create run directory '{}': {}. Check that no parent "
                        "is a file and that you may write there.",
                        dir, ec.message()));
    }
    const std::string lock_path = (fs::path(dir) / kLockFile).string();
    auto lock = std::make_shared<Lock>();
    lock->fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    PITA_CHECK_AS(IoError, lock->fd >= 0, "[run] cannot create the lock file '{}': {}.", lock_path,
                  std::strerror(errno));
    if (::flock(lock->fd, LOCK_EX | LOCK_NB) != 0) {
        throw IoError(fmt::format(
            "[run] '{}' is in use by another pita process (PID {}); expected one run per "
            "directory. Wait for that run to finish, or choose another output directory (--out).",
            dir, lock_holder(lock_path)));
    }
    if (mode == RunDirectoryMode::Fresh) {
        const std::vector<std::string> found = entries_besides_lock(dir);
        if (!found.empty()) {
            const std::size_t shown = std::min<std::size_t>(found.size(), 4);
            throw IoError(fmt::format(
                "[run] '{}' already holds {} entr{} ({}{}); expected a new or empty output "
                "directory, so that no run's files mix with another's. Continue that run with "
                "--resume {}, or choose another output directory (--out).",
                dir, found.size(), found.size() == 1 ? "y" : "ies",
                fmt::join(found.begin(), found.begin() + static_cast<std::ptrdiff_t>(shown), ", "),
                found.size() > shown ? ", ..." : "", dir));
        }
    }
    // We hold the lock, so no other pita process is writing here: any temporary file is stale.
    const std::string owner = fmt::format(
        "pid {} host {} since {}\n", static_cast<long>(::getpid()), hostname(), utc_now_iso8601());
    if (::ftruncate(lock->fd, 0) == 0) {
        const ssize_t written = ::pwrite(lock->fd, owner.data(), owner.size(), 0);
        (void)written;  // the PID is a courtesy for the message above; the flock is the lock
    }
    const int64_t removed = remove_temporary_files(dir);
    return RunDirectory(dir, std::move(lock), removed);
}

std::string RunDirectory::path(const std::string& name) const {
    return (std::filesystem::path(root_) / name).string();
}

void RunDirectory::write_run_json(const nlohmann::json& run_info) const {
    write_json(path("run.json"), run_info);
}

nlohmann::json make_run_record(const nlohmann::json& resolved_config, uint64_t seed, int threads,
                               const std::string& device, const std::string& command_line) {
    nlohmann::json record;
    record["version"] = version();
    record["git"] = git_hash();
    record["created"] = utc_now_iso8601();
    record["hostname"] = hostname();
    record["command"] = command_line;
    record["seed"] = seed;
    record["threads"] = threads;
    record["device"] = device;
    record["libraries"] = build_info();
    record["config"] = resolved_config;
    return record;
}

void write_json(const std::string& path, const nlohmann::json& value) {
    // Replace invalid UTF-8 (e.g. from a command line) rather than throw and lose the record.
    const std::string text =
        value.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    write_text_atomically(path, text);
}

nlohmann::json read_json(const std::string& path) {
    std::ifstream in(path);
    PITA_CHECK_AS(IoError, in.good(), "[io] cannot read '{}'. Does it exist?", path);
    try {
        return nlohmann::json::parse(in);
    } catch (const nlohmann::json::exception& e) {
        throw IoError(fmt::format("[io] '{}' is not valid JSON ({}). Was the file truncated?", path,
                                  e.what()));
    }
}

std::string temperature_dir(double temperature) { return fmt::format("T{:g}", temperature); }

}  // namespace pita
