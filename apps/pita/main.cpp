// The pita command-line tool. All work happens in run(); main only maps errors to exit codes.
#include <csignal>
#include <exception>
#include <iostream>
#include <new>
#include <string>

#include "cli.h"
#include "pita/core/error.h"

namespace {

/// LibTorch reports a failed allocation as a c10::Error with one of these phrases (CPU, CUDA).
bool is_out_of_memory(const std::exception& e) {
    const std::string what = e.what();
    return what.find("can't allocate memory") != std::string::npos ||
           what.find("out of memory") != std::string::npos;
}

constexpr const char* kOutOfMemoryHint =
    "the machine ran out of memory. Lower the sizes in the config (the number of chains, "
    "samples, particles, the batch size or anneal.chunk) and run again; `--check` estimates "
    "the memory a config needs before any work.";

}  // namespace

int main(int argc, char** argv) {
    // A file-size limit (ulimit -f) then makes a write fail with EFBIG, which the writers report
    // as an IoError, instead of killing the process with SIGXFSZ half-way through a file.
    std::signal(SIGXFSZ, SIG_IGN);
    try {
        return pita::cli::run(argc, argv);
    } catch (const pita::Error& e) {
        std::cerr << "error: " << e.what() << '\n';
        return 2;
    } catch (const std::bad_alloc&) {
        std::cerr << "error: " << kOutOfMemoryHint << '\n';
        return 2;
    } catch (const std::exception& e) {
        if (is_out_of_memory(e)) {
            std::cerr << "error: " << kOutOfMemoryHint << '\n';
            return 2;
        }
        std::cerr << "error: unexpected failure: " << e.what() << '\n';
        return 3;
    }
}
