#pragma once
// Running the `pita` binary (or any shell command) from a test, and a fixture with a scratch
// directory per test.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

namespace pita::testing {

struct Outcome {
    int exit_code;       ///< the exit status, or 128 + signal when the process was killed
    std::string output;  ///< stdout and stderr together
};

/// Runs `command` through the shell with stderr folded into stdout.
inline Outcome run_command(const std::string& command) {
    FILE* pipe = popen((command + " 2>&1").c_str(), "r");
    std::string out;
    char buf[4096];
    while (std::fgets(buf, sizeof buf, pipe) != nullptr) out += buf;
    const int status = pclose(pipe);
    return {WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), out};
}

/// Starts `command` in the background, waits until the file `started` exists (something the
/// command writes once its work has begun, e.g. a run's run.json), lets it run `seconds` more
/// and then kills it with SIGKILL. A fixed `timeout -s KILL` can land before the command has
/// begun on a loaded machine (measured: 3 s were not enough to create the run directory with a
/// whole-run benchmark beside the tests). exit_code is the command's: 137 when it was killed, 0
/// when it finished first; gives up waiting for `started` after 60 s or when the command exits.
inline Outcome kill_after_start(const std::string& command, const std::filesystem::path& started,
                                double seconds) {
    return run_command(command + " 2>&1 & pid=$!; i=0; while [ ! -e '" + started.string() +
                       "' ] && [ $i -lt 1200 ] && kill -0 $pid 2>/dev/null; do sleep 0.05; "
                       "i=$((i+1)); done; sleep " +
                       std::to_string(seconds) + "; kill -9 $pid 2>/dev/null; wait $pid");
}

/// Runs the pita binary under test with `args`.
inline Outcome run_pita(const std::string& args) {
    return run_command(std::string(PITA_BINARY) + " " + args);
}

/// A fresh directory per test, named after the process and the test, removed afterwards.
class ScratchDirTest : public ::testing::Test {
  protected:
    void SetUp() override {
        // A parameterised test is named "Name/3": one folder per test, not a subfolder of a
        // shared one that TearDown would leave behind.
        std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
        std::replace(name.begin(), name.end(), '/', '_');
        dir_ = std::filesystem::temp_directory_path() /
               ("pita_" + std::to_string(::getpid()) + "_" + name);
        std::filesystem::remove_all(dir_);
        std::filesystem::create_directories(dir_);
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }
    std::filesystem::path dir_;
};

}  // namespace pita::testing
