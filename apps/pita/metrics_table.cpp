#include "metrics_table.h"

#include <string>

#include <fmt/format.h>

namespace pita::cli {

void print_metrics_table(const nlohmann::json& temperatures) {
    fmt::print("\n{:>6} {:>10} {:>10} {:>10} {:>9} {:>9} {:>9} {:>15}\n", "T", "source", "<E>",
               "ref <E>", "E-W2", "dist-W2", "eq-W2", "T_conf ± se");
    for (const auto& m : temperatures) {
        auto num = [&](const char* k, const char* f) {
            return m.contains(k) ? fmt::format(fmt::runtime(f), m[k].get<double>())
                                 : std::string("-");
        };
        fmt::print("{:>6g} {:>10} {:>10.3f} {:>10} {:>9} {:>9} {:>9} {:>8.3f} ± {:<5.3f}\n",
                   m["temperature"].get<double>(), m["source"].get<std::string>(),
                   m["mean_energy"].get<double>(), num("reference_mean_energy", "{:.3f}"),
                   num("energy_w2", "{:.3f}"), num("distance_w2", "{:.4f}"),
                   num("equivariant_w2", "{:.3f}"),
                   m["configurational_temperature"]["value"].get<double>(),
                   m["configurational_temperature"]["standard_error"].get<double>());
    }
}

}  // namespace pita::cli
