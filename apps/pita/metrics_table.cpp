#include "metrics_table.h"

#include <string>

#include <fmt/format.h>

#include "pita/energy/energy.h"

namespace pita::cli {

void print_metrics_table(const nlohmann::json& temperatures) {
    fmt::print("\n{:>6} {:>10} {:>10} {:>10} {:>9} {:>9} {:>9} {:>9} {:>15}\n", "T", "source",
               "<E>", "ref <E>", "E-W2", "dist-W2", "eq/T-W2", "TICA-W2", "T_conf ± se");
    auto row = [](const nlohmann::json& m) {
        auto num = [&](const char* k, const char* f) {
            return m.contains(k) ? fmt::format(fmt::runtime(f), m[k].get<double>())
                                 : std::string("-");
        };
        // Peptides: W2 on TIC0/TIC1 of the reference's TICA (its floor is in metrics.json).
        const std::string tica_w2 =
            m.contains("tica") ? fmt::format("{:.3f}", m["tica"]["w2"].get<double>()) : "-";
        fmt::print("{:>6g} {:>10} {:>10.3f} {:>10} {:>9} {:>9} {:>9} {:>9} {:>8.3f} ± {:<5.3f}\n",
                   m["temperature"].get<double>(), m["source"].get<std::string>(),
                   m["mean_energy"].get<double>(), num("reference_mean_energy", "{:.3f}"),
                   num("energy_w2", "{:.3f}"), num("distance_w2", "{:.4f}"),
                   m.contains("torsion_torus_w2") ? num("torsion_torus_w2", "{:.3f}")
                                                  : num("equivariant_w2", "{:.3f}"),
                   tica_w2, m["configurational_temperature"]["value"].get<double>(),
                   m["configurational_temperature"]["standard_error"].get<double>());
    };
    bool any_relaxed = false;
    bool any_regenerated = false;
    nlohmann::json all = nlohmann::json::array();
    for (const auto& m : temperatures) {
        // "networks": what the SDE and the end correction delivered, before the relaxation.
        if (m.contains("before_relaxation")) {
            row(m["before_relaxation"]);
            all.push_back(m["before_relaxation"]);
            any_relaxed = true;
        }
        row(m);
        all.push_back(m);
        if (m.contains("regeneration")) {
            row(m["regeneration"]);
            any_regenerated = true;
        }
    }
    if (any_relaxed)
        fmt::print(
            "(networks: the annealed samples before the relaxation on the target; "
            "annealed: after it)\n");
    if (any_regenerated)
        fmt::print(
            "(regenerated: the networks trained at T annealed back to T (γ = 1), no correction "
            "or relaxation; its \"reference\" columns are the run's own samples at T)\n");
    print_sample_warnings(all);
}

void print_sample_warnings(const nlohmann::json& temperatures) {
    for (const auto& m : temperatures) {
        const std::string where = fmt::format("T = {:g} ({})", m["temperature"].get<double>(),
                                              m["source"].get<std::string>());
        const int64_t total = m["samples"].get<int64_t>();
        auto count = [&](const char* key) { return m.value(key, int64_t{0}); };
        if (const int64_t n = count("non_finite_samples"); n > 0)
            fmt::print(
                "warning: {}: {} of {} samples have a non-finite coordinate; every metric "
                "leaves them out ({} used).\n",
                where, n, total, count("samples_used"));
        if (const int64_t n = count("energies_disagreeing_with_samples"); n > 0)
            fmt::print(
                "warning: {}: the energies given with the samples (energies.npy) are "
                "finite for {} samples whose coordinates are not: they do not belong to "
                "these samples, or were written before the samples broke.\n",
                where, n);
        if (const int64_t n = count("outlier_samples"); n > 0) {
            const auto& d = m["outlier_details"];
            fmt::print(
                "warning: {}: {} of {} samples are outliers ({} extend beyond {:.3g}, "
                "the largest to {:.3g}; {} have an energy above {:.6g}). They are kept in "
                "the metrics, which they may dominate.\n",
                where, n, total, d["beyond_extent_limit"].get<int64_t>(),
                d["extent_limit"].get<double>(), d["largest_extent"].get<double>(),
                d["above_energy_limit"].get<int64_t>(), d["energy_limit"].get<double>());
        }
    }
}

}  // namespace pita::cli
