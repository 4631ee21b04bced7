#include "pita/config/run_settings.h"

#include <ctime>

#include <fmt/format.h>

#include "pita/core/device.h"
#include "pita/core/rng.h"

namespace pita {

RunSettings read_run_settings(const ConfigNode& root, const std::string& default_stem,
                              const std::string& default_dtype) {
    RunSettings s;
    // -1 (the default) draws a seed and records it in run.json.
    const int64_t seed = root.get_int("seed", -1, Bounds::at_least(-1));
    if (seed < 0) {
        s.seed = draw_seed() >> 1U;  // fits the int64 of YAML and JSON readers
        s.seed_was_drawn = true;
    } else {
        s.seed = static_cast<uint64_t>(seed);
    }
    s.threads = static_cast<int>(root.get_int("threads", 0, Bounds::between(0, 4096)));
    s.device = parse_device(root.get_string("device", "cpu"));
    const std::string dtype = root.get_choice("dtype", default_dtype, {"float32", "float64"});
    s.dtype = dtype == "float32" ? c10::kFloat : c10::kDouble;
    const std::time_t now = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&now, &tm);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
    s.output_dir = root.get_string("output_dir", fmt::format("runs/{}-{}", default_stem, stamp));
    return s;
}

}  // namespace pita
