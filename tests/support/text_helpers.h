#pragma once
// Helpers shared by the test suites for files, text and subprocesses. One definition each: the
// unity build (scripts/check.sh) compiles several test files as one translation unit, where two
// file-local helpers of the same name would clash.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <typeinfo>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "pita/core/error.h"

namespace pita::testing {

/// The system Python (Debian's, with numpy and mdtraj when installed).
inline constexpr const char* kPython = "/usr/bin/python3";

/// Whether the system Python exists and can import `module`; cached per module by the caller.
inline bool python_can_import(const std::string& module) {
    if (!std::filesystem::exists(kPython)) return false;
    return std::system(fmt::format("{} -c 'import {}' >/dev/null 2>&1", kPython, module).c_str()) ==
           0;
}

/// Runs `script` with the system Python; returns its exit status and puts stdout+stderr in `log`.
inline int run_python(const std::filesystem::path& script, std::string& log) {
    std::FILE* pipe = popen(fmt::format("{} '{}' 2>&1", kPython, script.string()).c_str(), "r");
    if (pipe == nullptr) return -1;
    char buf[512];
    while (std::fgets(buf, sizeof buf, pipe) != nullptr) log += buf;
    return pclose(pipe);
}

/// A path inside the source tree.
inline std::string source_path(const std::string& relative) {
    return std::string(PITA_SOURCE_DIR) + "/" + relative;
}

/// A whole file as bytes ("" when it cannot be read).
inline std::string read_text(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

/// The lines of a text.
inline std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

/// How often `what` occurs in `text` (overlapping occurrences count).
inline int count_of(const std::string& text, const std::string& what) {
    int n = 0;
    for (std::size_t p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) ++n;
    return n;
}

/// The message of the error of type E that f throws; a test failure when it throws none.
template <typename E>
std::string error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const E& e) {
        return e.what();
    }
    ADD_FAILURE() << "expected an exception of type " << typeid(E).name();
    return "";
}

}  // namespace pita::testing
