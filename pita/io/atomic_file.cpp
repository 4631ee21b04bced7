#include "pita/io/atomic_file.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "pita/core/error.h"

namespace pita {
namespace {

// Explains the most common cause (a missing directory) instead of a bare strerror.
std::string describe_open_failure(const std::string& path, int err) {
    const auto parent = std::filesystem::path(path).parent_path();
    std::error_code ec;
    if (!parent.empty() && !std::filesystem::is_directory(parent, ec)) {
        return fmt::format(
            "[io] cannot write '{}': directory '{}' does not exist; expected an existing "
            "directory. "
            "Create it first (pita creates run directories itself; other paths are yours).",
            path, parent.string());
    }
    return fmt::format("[io] cannot write '{}': {}. Check permissions and free disk space.", path,
                       std::strerror(err));
}

}  // namespace

void write_file_atomically(const std::string& path,
                           const std::function<void(std::ostream&)>& writer) {
    // The pid keeps two processes writing the same output from clobbering each other's tmp file.
    const std::string tmp = fmt::format("{}.{}.tmp", path, static_cast<long>(::getpid()));
    auto discard_tmp = [&tmp] { std::remove(tmp.c_str()); };

    errno = 0;
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw IoError(describe_open_failure(path, errno));
    try {
        writer(out);
    } catch (...) {
        out.close();
        discard_tmp();
        throw;
    }
    // No fsync: the rename alone protects against a crashed *process*, which is what loses runs
    // here; power loss is left to the file system (ext4 orders replace-by-rename data already).
    out.flush();
    // errno left by a failed write/flush is the best evidence we have (e.g. ENOSPC).
    const bool written = static_cast<bool>(out);
    out.close();
    if (!written || out.fail()) {
        const int err = errno;
        discard_tmp();
        throw IoError(fmt::format("[io] failed while writing '{}': {}. Check free disk space.",
                                  path, err != 0 ? std::strerror(err) : "stream error"));
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
        const int err = errno;
        discard_tmp();
        throw IoError(fmt::format("[io] cannot rename '{}' to '{}': {}. Is '{}' a directory?", tmp,
                                  path, std::strerror(err), path));
    }
}

void write_text_atomically(const std::string& path, const std::string& text) {
    write_file_atomically(path, [&text](std::ostream& out) { out << text; });
}

void copy_file_atomically(const std::string& from, const std::string& to) {
    std::ifstream in(from, std::ios::binary);
    if (!in) throw IoError(fmt::format("[io] cannot read '{}': {}.", from, std::strerror(errno)));
    write_file_atomically(to, [&in](std::ostream& out) { out << in.rdbuf(); });
}

}  // namespace pita
