// The pita command-line tool. All work happens in run(); main only maps errors to exit codes.
#include <exception>
#include <iostream>

#include "cli.h"
#include "pita/core/error.h"

int main(int argc, char** argv) {
    try {
        return pita::cli::run(argc, argv);
    } catch (const pita::Error& e) {
        std::cerr << "error: " << e.what() << '\n';
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "error: unexpected failure: " << e.what() << '\n';
        return 3;
    }
}
