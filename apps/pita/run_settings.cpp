#include "run_settings.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace pita::cli {

int finish_check(bool print_config, const Config& cfg, const std::string& plan) {
    if (print_config)
        fmt::print("{}\n", cfg.resolved().dump(2));
    else
        fmt::print("{}", plan);
    return 0;
}

std::string join_command_line(int argc, char** argv) {
    std::string line;
    for (int i = 0; i < argc; ++i) {
        if (i > 0) line += ' ';
        line += argv[i];
    }
    return line;
}

}  // namespace pita::cli
