#include "pita/report/run_report.h"

#include <chrono>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "pita/core/units.h"
#include "pita/core/version.h"
#include "pita/io/atomic_file.h"
#include "pita/report/plots.h"
#include "pita/report/svg.h"

namespace pita {

namespace {

const char* const kReferenceColour = "#7f7f7f";
const char* const kFinalColour = "#1f77b4";
const char* const kNetworksColour = "#ff7f0e";

const char* const kStyle = R"(
:root{color-scheme:light}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;margin:0;color:#222;background:#fff}
header{padding:14px 24px 10px;border-bottom:1px solid #ddd;background:#fafafa}
main{padding:0 24px 32px;max-width:1500px}
h1{font-size:21px;margin:0 0 2px}
h2{font-size:17px;margin:26px 0 8px;border-bottom:1px solid #e4e4e4;padding-bottom:3px}
h3{font-size:14px;margin:14px 0 6px;color:#444}
.sub{color:#555;margin:0 0 6px}
nav a{margin-right:14px;color:#1f5fa0;text-decoration:none}
nav a:hover{text-decoration:underline}
.figures{display:flex;flex-wrap:wrap;gap:16px 26px;align-items:flex-start}
.figures+.figures{margin-top:18px}
figure.plot{margin:0}
figcaption{font-size:12.5px;margin-bottom:3px;max-width:400px}
figcaption .title{font-weight:600;display:block;font-size:13px}
.legend .key{margin-right:12px;display:inline-block}
.swatch{display:inline-block;width:18px;height:0;margin-right:4px;vertical-align:middle;border-top:2px solid var(--c)}
.swatch.dashed{border-top-style:dashed}
.swatch.area{height:10px;border:0;background:var(--c);opacity:.45}
.swatch.tick{width:2px;height:10px;border:0;background:var(--c)}
svg.chart{display:block}
svg.chart text{font:11px system-ui,sans-serif;fill:#333}
svg.chart text.label{font-size:12px}
svg.chart text.panel{font-size:12px;font-weight:600}
svg.chart text.empty{fill:#999;font-size:13px}
svg.chart line.grid{stroke:#e8e8e8}
svg.chart line.tick{stroke:#777}
svg.chart .frame{fill:none;stroke:#999}
svg.chart .series{fill:none;stroke-width:1.6}
svg.chart .area{opacity:.42}
svg.chart .events{stroke-width:1.3}
svg.chart .map-bg{fill:#fff}
.note{font-size:12px;color:#666;margin:2px 0;max-width:400px}
p.explain{font-size:12.5px;color:#555;max-width:1100px;margin:4px 0 10px}
ul.notes{font-size:13px;color:#8a4b00}
table{border-collapse:collapse;font-size:12.5px}
th,td{padding:3px 8px;border-bottom:1px solid #eee;text-align:right;white-space:nowrap}
th{background:#f4f4f4;font-weight:600}
th.text,td.text{text-align:left}
tr.networks td{color:#777}
tr.rung-start td{border-top:1px solid #ccc}
table.info td{text-align:left;white-space:normal}
table.info td:first-child{color:#555;white-space:nowrap}
.table-wrap{overflow-x:auto}
pre{background:#f7f7f7;border:1px solid #e6e6e6;padding:10px;overflow:auto;max-height:640px;font:12px/1.35 ui-monospace,Menlo,Consolas,monospace}
footer{color:#888;font-size:12px;padding:10px 24px 24px}
)";

std::string temperature_label(double t) { return fmt::format("{:g}", t); }

/// "T3", "T755.95": the suffix of figure ids.
std::string temperature_id(double t) { return "T" + temperature_label(t); }

/// "4 → 3 → 2".
std::string ladder_label(const nlohmann::json& ladder) {
    std::vector<std::string> ts;
    for (const auto& t : ladder) ts.push_back(temperature_label(t.get<double>()));
    return fmt::format("{}", fmt::join(ts, " → "));
}

std::string section(const std::string& id, const std::string& title, const std::string& body) {
    return fmt::format("<section id=\"{}\">\n<h2>{}</h2>\n{}</section>\n", id, escape_html(title),
                       body);
}

std::string figures(const std::string& body) {
    return "<div class=\"figures\">\n" + body + "</div>\n";
}

const nlohmann::json* metrics_of(const RunContents& run, double t) {
    if (!run.metrics.is_object() || !run.metrics.contains("temperatures")) return nullptr;
    for (const auto& m : run.metrics["temperatures"])
        if (m.value("temperature", -1.0) == t) return &m;
    return nullptr;
}

/// m[key] as a number; NaN when missing or not a number (metrics.json writes NaN as null).
double num(const nlohmann::json& m, const std::string& key) {
    return m.contains(key) && m[key].is_number() ? m[key].get<double>()
                                                 : std::numeric_limits<double>::quiet_NaN();
}

/// JSON text that never throws: invalid UTF-8 in a string is replaced, not an error.
std::string json_text(const nlohmann::json& j, int indent = -1) {
    return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::optional<double> number(const nlohmann::json& m, const std::string& key) {
    if (!m.contains(key) || !m[key].is_number()) return std::nullopt;
    return m[key].get<double>();
}

// ---- run -------------------------------------------------------------------------------

std::string run_section(const RunContents& run) {
    const nlohmann::json& r = run.record;
    const nlohmann::json& c = r["config"];
    std::vector<std::pair<std::string, std::string>> rows;
    rows.emplace_back("directory", run.run_dir);
    if (c.contains("energy")) {
        const nlohmann::json& e = c["energy"];
        std::string target = e.value("type", "?");
        if (e.contains("n_particles"))
            target += fmt::format(", {} particles", json_text(e["n_particles"]));
        if (e.contains("system")) target += ", " + e["system"].get<std::string>();
        rows.emplace_back("target", target);
    }
    if (r.contains("model") && r["model"].is_object())
        rows.emplace_back("model", r["model"].value("type", std::string("?")));
    rows.emplace_back("ladder", ladder_label(c["ladder"]));
    for (const char* k : {"seed", "threads", "device", "version", "git", "created", "hostname"})
        if (r.contains(k))
            rows.emplace_back(k, r[k].is_string() ? r[k].get<std::string>() : json_text(r[k]));
    if (r.contains("resumed"))
        rows.emplace_back("resumed", fmt::format("{} time(s)", r["resumed"].size()));
    if (run.state.is_object() && run.state.contains("phases_done")) {
        std::vector<std::string> done;
        for (const auto& p : run.state["phases_done"]) done.push_back(p.get<std::string>());
        rows.emplace_back("phases done", fmt::format("{}", fmt::join(done, ", ")));
    }
    if (run.metrics.is_object() && run.metrics.contains("training_steps"))
        rows.emplace_back("training steps", json_text(run.metrics["training_steps"]));
    if (run.metrics.is_object() && run.metrics.contains("buffers")) {
        std::vector<std::string> b;
        for (const auto& buffer : run.metrics["buffers"])
            b.push_back(fmt::format("{} ({} rows)", buffer.value("provenance", std::string("?")),
                                    buffer.value("rows", int64_t{0})));
        rows.emplace_back("buffers", fmt::format("{}", fmt::join(b, "; ")));
    }
    std::string body = "<table class=\"info\" id=\"run-table\">\n";
    for (const auto& [k, v] : rows)
        body += fmt::format("<tr><td>{}</td><td>{}</td></tr>\n", escape_html(k), escape_html(v));
    body += "</table>\n";
    if (!run.notes.empty()) {
        body += "<h3>Left out of this report</h3>\n<ul class=\"notes\">\n";
        for (const std::string& n : run.notes) body += "<li>" + escape_html(n) + "</li>\n";
        body += "</ul>\n";
    }
    return section("run", "Run", body);
}

// ---- metrics table ---------------------------------------------------------------------

struct Column {
    std::string header;
    std::string title;  ///< the tooltip
    std::function<std::optional<std::string>(const nlohmann::json&)> cell;
    bool text = false;
};

std::function<std::optional<std::string>(const nlohmann::json&)> numeric(const std::string& key,
                                                                         int digits = 4) {
    return [key, digits](const nlohmann::json& m) -> std::optional<std::string> {
        if (const auto v = number(m, key)) return format_number(*v, digits);
        return std::nullopt;
    };
}

std::vector<Column> metric_columns() {
    std::vector<Column> cols;
    cols.push_back({"T", "temperature", [](const nlohmann::json& m) {
                        return std::optional<std::string>(
                            temperature_label(m.value("temperature", 0.0)));
                    }});
    cols.push_back({"source",
                    "mcmc/md: the data; networks: annealed before relaxation; annealed: final",
                    [](const nlohmann::json& m) {
                        return std::optional<std::string>(m.value("source", std::string("?")));
                    },
                    true});
    cols.push_back({"n", "samples", numeric("samples", 6)});
    cols.push_back({"⟨E⟩", "mean energy of the samples", numeric("mean_energy", 5)});
    cols.push_back(
        {"ref ⟨E⟩", "mean energy of the reference", numeric("reference_mean_energy", 5)});
    cols.push_back({"E-W1", "energy W1 on E/T", numeric("energy_w1")});
    cols.push_back({"E-W2", "energy W2 on E/T", numeric("energy_w2")});
    cols.push_back({"dist-W2", "W2 of the pair-distance distributions", numeric("distance_w2")});
    cols.push_back({"eq-W2", "equivariant W2 (Hungarian + Kabsch)", numeric("equivariant_w2")});
    cols.push_back({"T-W2", "torus W2 of the (φ, ψ) angles", numeric("torsion_torus_w2")});
    cols.push_back({"T_conf", "configurational temperature ± standard error",
                    [](const nlohmann::json& m) -> std::optional<std::string> {
                        if (!m.contains("configurational_temperature")) return std::nullopt;
                        const auto& c = m["configurational_temperature"];
                        return format_number(num(c, "value"), 4) + " ± " +
                               format_number(num(c, "standard_error"), 2);
                    }});
    cols.push_back({"P(φ>0)", "fraction with φ > 0 ± s.e. (reference's in brackets)",
                    [](const nlohmann::json& m) -> std::optional<std::string> {
                        if (!m.contains("phi_positive") || m["phi_positive"].empty())
                            return std::nullopt;
                        std::vector<std::string> parts;
                        for (const auto& p : m["phi_positive"]) {
                            std::string s = format_number(num(p, "fraction"), 3) + " ± " +
                                            format_number(num(p, "standard_error"), 2);
                            if (p.contains("reference_fraction"))
                                s += " (" + format_number(num(p, "reference_fraction"), 3) + ")";
                            parts.push_back(s);
                        }
                        return fmt::format("{}", fmt::join(parts, "; "));
                    }});
    cols.push_back({"Rama-KL",
                    "KL(ref ‖ gen) of the 64×64 (φ, ψ) histogram (floor: the reference's halves)",
                    [](const nlohmann::json& m) -> std::optional<std::string> {
                        if (!m.contains("rama_kl") || m["rama_kl"].empty()) return std::nullopt;
                        std::vector<std::string> parts;
                        for (const auto& k : m["rama_kl"])
                            parts.push_back(format_number(num(k, "kl"), 3) + " (floor " +
                                            format_number(num(k, "floor"), 2) + ")");
                        return fmt::format("{}", fmt::join(parts, "; "));
                    }});
    cols.push_back({"TICA-W2",
                    "W2 on TIC0/TIC1 of the reference's TICA (floor: the reference's halves)",
                    [](const nlohmann::json& m) -> std::optional<std::string> {
                        if (!m.contains("tica")) return std::nullopt;
                        return format_number(num(m["tica"], "w2"), 3) + " (floor " +
                               format_number(num(m["tica"], "floor_w2"), 2) + ")";
                    }});
    cols.push_back({"D frac.", "fraction of D (mirrored or mixed) molecules",
                    [](const nlohmann::json& m) -> std::optional<std::string> {
                        if (!m.contains("chirality")) return std::nullopt;
                        return format_number(num(m["chirality"], "d_fraction"), 3);
                    }});
    cols.push_back({"not L dropped",
                    "annealed samples that were not L and left out (anneal.l_form_only)",
                    [](const nlohmann::json& m) -> std::optional<std::string> {
                        if (!m.contains("smc") || !m["smc"].contains("dropped_not_l"))
                            return std::nullopt;
                        return std::to_string(m["smc"]["dropped_not_l"].get<int64_t>());
                    }});
    cols.push_back({"broken", "fraction with a bond over 1.5× its length",
                    numeric("broken_bond_fraction", 3)});
    cols.push_back({"min ESS", "the rung's smallest SMC effective sample size",
                    [](const nlohmann::json& m) -> std::optional<std::string> {
                        if (!m.contains("smc")) return std::nullopt;
                        return format_number(num(m["smc"], "min_ess"), 4);
                    }});
    cols.push_back({"corr. ESS", "ESS of the end correction's importance weights",
                    [](const nlohmann::json& m) -> std::optional<std::string> {
                        if (!m.contains("smc") || !m["smc"].contains("correction_ess"))
                            return std::nullopt;
                        return format_number(num(m["smc"], "correction_ess"), 4);
                    }});
    cols.push_back(
        {"lineages",
         "how many of the prior's draws have descendants among the samples (after "
         "the end correction and anneal.l_form_only); near 1, the samples are copies of one "
         "trajectory",
         [](const nlohmann::json& m) -> std::optional<std::string> {
             if (!m.contains("smc")) return std::nullopt;
             const nlohmann::json& smc = m["smc"];
             for (const char* key : {"lineages_after_drop", "correction_lineages", "lineages"})
                 if (smc.contains(key) && smc[key].is_number())
                     return std::to_string(smc[key].get<int64_t>());
             return std::nullopt;
         }});
    cols.push_back({"outliers", "samples far outside the typical extent or energy (kept)",
                    [](const nlohmann::json& m) -> std::optional<std::string> {
                        const int64_t n = m.value("outlier_samples", int64_t{0});
                        if (n == 0) return std::nullopt;
                        return std::to_string(n);
                    }});
    cols.push_back({"non-finite", "samples with a non-finite coordinate (left out of every metric)",
                    [](const nlohmann::json& m) -> std::optional<std::string> {
                        const int64_t n = m.value("non_finite_samples", int64_t{0});
                        if (n == 0) return std::nullopt;
                        return std::to_string(n);
                    }});
    return cols;
}

std::string metrics_section(const RunContents& run) {
    if (!run.metrics.is_object() || !run.metrics.contains("temperatures")) return "";
    // Rows: per temperature, what the networks delivered (before relaxation), then the final set.
    std::vector<std::pair<const nlohmann::json*, bool>> rows;  // row, first of its rung
    for (const auto& m : run.metrics["temperatures"]) {
        bool first = true;
        if (m.contains("before_relaxation")) {
            rows.emplace_back(&m["before_relaxation"], true);
            first = false;
        }
        rows.emplace_back(&m, first);
        // The γ = 1 check of the networks trained here: against the run's own samples.
        if (m.contains("regeneration")) rows.emplace_back(&m["regeneration"], false);
    }
    std::vector<Column> cols;
    for (Column& c : metric_columns()) {
        bool any = false;
        for (const auto& [m, first] : rows) any |= c.cell(*m).has_value();
        if (any) cols.push_back(std::move(c));
    }
    std::string body = "<div class=\"table-wrap\"><table id=\"metrics-table\">\n<tr>";
    for (const Column& c : cols)
        body += fmt::format("<th{} title=\"{}\">{}</th>", c.text ? " class=\"text\"" : "",
                            escape_html(c.title), escape_html(c.header));
    body += "</tr>\n";
    for (std::size_t r = 0; r < rows.size(); ++r) {
        const nlohmann::json& m = *rows[r].first;
        const std::string source = m.value("source", std::string());
        std::string cls = source == "networks" || source == "regenerated" ? "networks" : "";
        if (rows[r].second && r > 0) cls += cls.empty() ? "rung-start" : " rung-start";
        body += cls.empty() ? "<tr>" : "<tr class=\"" + cls + "\">";
        for (const Column& c : cols) {
            const auto v = c.cell(m);
            body += fmt::format("<td{}>{}</td>", c.text ? " class=\"text\"" : "",
                                escape_html(v.value_or("–")));
        }
        body += "</tr>\n";
    }
    body += "</table></div>\n";
    body +=
        "<p class=\"explain\">networks: the annealed samples as the SDE and the end correction "
        "delivered them, before the relaxation on the target; annealed: after it; regenerated: "
        "the networks trained at T annealed back to T (γ = 1) without correction or "
        "relaxation, scored against the run's own samples at T, not the reference. Energy "
        "distances are on E/T. Hover a column header for its definition; metrics.json has "
        "every number.</p>\n";
    return section("metrics", "Metrics per temperature", body);
}

// ---- histograms ------------------------------------------------------------------------

std::string source_label(const RungContents& rung) { return rung.source; }

/// One histogram figure per rung of the values `pick` chooses, reference shaded. `per_sample`:
/// the values are one per sample (else the legend counts samples, not values).
std::string histogram_figures(
    const RunContents& run, const std::string& id_prefix, const std::string& x_label,
    const std::function<const std::vector<double>&(const SetValues&)>& pick, bool per_sample) {
    auto count = [per_sample](const SetValues& v) {
        return per_sample ? std::string() : fmt::format("{} samples", v.samples);
    };
    std::string body;
    for (const RungContents& rung : run.rungs) {
        HistogramPlot plot;
        plot.id = id_prefix + "-" + temperature_id(rung.temperature);
        plot.title = fmt::format("T = {} · {}", temperature_label(rung.temperature), rung.source);
        plot.x_label = x_label;
        if (rung.reference && !pick(*rung.reference).empty()) {
            plot.series.push_back({"reference", pick(*rung.reference), kReferenceColour,
                                   HistogramStyle::Filled, count(*rung.reference)});
            plot.anchor = 0;
        } else {
            plot.notes.push_back("no reference at this temperature");
        }
        if (rung.before_relaxation && !pick(*rung.before_relaxation).empty())
            plot.series.push_back({"networks (before relaxation)", pick(*rung.before_relaxation),
                                   kNetworksColour, HistogramStyle::DashedStep,
                                   count(*rung.before_relaxation)});
        if (rung.samples && !pick(*rung.samples).empty())
            plot.series.push_back({source_label(rung), pick(*rung.samples), kFinalColour,
                                   HistogramStyle::Step, count(*rung.samples)});
        if (plot.series.empty()) continue;
        body += render_histogram_plot(plot);
    }
    return body;
}

std::string energy_section(const RunContents& run) {
    const std::string x_label = run.molecule ? "E / kT" : "E / T";
    const std::string body = histogram_figures(
        run, "energy", x_label,
        [](const SetValues& v) -> const std::vector<double>& { return v.reduced_energies; }, true);
    if (body.empty()) return "";
    return section("energy", "Energy histograms",
                   "<p class=\"explain\">E/T of the samples at every rung against the reference "
                   "(shaded). The axis covers the reference's bulk widened by twice its width; "
                   "samples beyond it are counted in the legend.</p>\n" +
                       figures(body));
}

std::string distance_section(const RunContents& run) {
    if (!run.particle_system) return "";
    const std::string body = histogram_figures(
        run, "distances", "pair distance r",
        [](const SetValues& v) -> const std::vector<double>& { return v.pair_distances; }, false);
    if (body.empty()) return "";
    return section("distances", "Pair-distance histograms",
                   "<p class=\"explain\">Every interparticle distance of up to 2000 samples per "
                   "set (evenly spaced).</p>\n" +
                       figures(body));
}

// ---- Ramachandran ----------------------------------------------------------------------

std::vector<double> degrees(const std::vector<double>& radians) {
    std::vector<double> out(radians.size());
    for (std::size_t i = 0; i < radians.size(); ++i) out[i] = radians[i] * 180.0 / kPi;
    return out;
}

std::string ramachandran_section(const RunContents& run) {
    if (!run.molecule || run.torsion_names.empty()) return "";
    // Residues with both φ and ψ, in the order of their φ.
    std::vector<std::pair<std::string, std::pair<std::size_t, std::size_t>>> residues;
    for (std::size_t i = 0; i < run.torsion_names.size(); ++i) {
        const std::string& name = run.torsion_names[i];
        if (name.rfind("phi ", 0) != 0) continue;
        for (std::size_t j = 0; j < run.torsion_names.size(); ++j)
            if (run.torsion_names[j] == "psi " + name.substr(4))
                residues.push_back({name.substr(4), {i, j}});
    }
    std::string body;
    const std::vector<double> ticks = {-180, -90, 0, 90, 180};
    for (const RungContents& rung : run.rungs) {
        for (const auto& [residue, cols] : residues) {
            HeatMapPlot plot;
            plot.id = "rama-" + temperature_id(rung.temperature) + "-" + residue;
            plot.title = fmt::format("T = {} · {}", temperature_label(rung.temperature), residue);
            plot.x_label = "φ (degrees)";
            plot.y_label = "ψ (degrees)";
            plot.x_ticks = ticks;
            plot.y_ticks = ticks;
            auto add = [&, c = cols](const std::optional<SetValues>& set,
                                     const std::string& label) {
                if (!set || set->angles.size() <= std::max(c.first, c.second)) return;
                const Histogram2d h =
                    make_histogram_2d(degrees(set->angles[c.first]), degrees(set->angles[c.second]),
                                      -180, 180, -180, 180, 36, 36);
                plot.panels.push_back({fmt::format("{} ({})", label, set->samples), h});
            };
            add(rung.samples, rung.source);
            add(rung.before_relaxation, "networks");
            add(rung.reference, "reference");
            if (plot.panels.empty()) continue;
            if (!rung.reference) plot.notes.push_back("no reference at this temperature");
            if (const nlohmann::json* m = metrics_of(run, rung.temperature);
                m != nullptr && m->contains("rama_kl")) {
                for (const auto& k : (*m)["rama_kl"])
                    if (k.value("residue", std::string()) == residue)
                        plot.notes.push_back(fmt::format("Rama-KL {} (the reference's halves: {})",
                                                         format_number(num(k, "kl"), 3),
                                                         format_number(num(k, "floor"), 3)));
            }
            body += render_heat_maps(plot);
        }
    }
    if (body.empty()) return "";
    return section("ramachandran", "Ramachandran maps",
                   "<p class=\"explain\">(φ, ψ) in 10° cells per residue: the rung's samples, what "
                   "the networks delivered before the relaxation, and the reference. Colour: the "
                   "square root of a cell's count over the panel's largest (blank: empty).</p>\n" +
                       figures(body));
}

// ---- SDE diagnostics -------------------------------------------------------------------

std::string sde_section(const RunContents& run) {
    std::string body;
    for (const RungContents& rung : run.rungs) {
        const CsvTable& d = rung.diagnostics;
        const std::vector<double>* step = d.column("step");
        const std::vector<double>* ess = d.column("ess");
        if (d.rows() == 0 || step == nullptr || ess == nullptr) continue;
        const std::string t = temperature_label(rung.temperature);
        LinePlot e;
        e.id = "sde-ess-" + temperature_id(rung.temperature);
        e.title = rung.smc_particles > 0 ? fmt::format("T = {} · ESS along the SDE ({} particles)",
                                                       t, rung.smc_particles)
                                         : fmt::format("T = {} · ESS along the SDE", t);
        e.x.label = "SDE step (t from 1 to 0)";
        e.y.label = "particles";
        e.y.lo = 0;
        // A little above the population size, so a full ESS does not run along the frame.
        if (rung.smc_particles > 0) e.y.hi = 1.04 * static_cast<double>(rung.smc_particles);
        e.series.push_back({"ESS", *step, *ess, kFinalColour, LineStyle::Solid});
        if (const auto* u = d.column("unique_ancestors"))
            e.series.push_back({"unique ancestors", *step, *u, "#2ca02c", LineStyle::Dashed});
        if (const auto* l = d.column("lineages"))
            e.series.push_back(
                {"prior draws with descendants", *step, *l, "#ff7f0e", LineStyle::Dashed});
        if (const auto* r = d.column("resampled")) {
            for (std::size_t i = 0; i < r->size(); ++i)
                if ((*r)[i] > 0) e.events.push_back((*step)[i]);
            e.events_label = fmt::format("resampling ({} events)", e.events.size());
        }
        std::string row = render_line_plot(e);
        if (const auto* var = d.column("log_weight_variance")) {
            LinePlot v;
            v.id = "sde-variance-" + temperature_id(rung.temperature);
            v.title = fmt::format("T = {} · variance of the log-weight increments", t);
            v.x.label = "SDE step (t from 1 to 0)";
            v.y.label = "variance";
            bool positive = true;
            for (const double x : *var) positive &= !std::isfinite(x) || x > 0;
            v.y.scale = positive ? AxisScale::Log : AxisScale::Linear;
            v.series.push_back({"Var[Δ log w]", *step, *var, "#9467bd", LineStyle::Solid});
            row += render_line_plot(v);
        }
        body += figures(row);  // one row per rung: its ESS beside its variance
    }
    if (body.empty()) return "";
    return section(
        "sde", "SMC along the SDE",
        "<p class=\"explain\">Per annealed rung, from its diagnostics.csv: the effective "
        "sample size, the distinct ancestors of the population at each step of the "
        "weighted reverse SDE, how many of the prior's draws still have descendants (when it "
        "falls near 1 the samples are copies of one trajectory), the steps where it was resampled "
        "(red ticks), and the "
        "variance of the log-weight increments.</p>\n" +
            figures(body));
}

// ---- training ----------------------------------------------------------------------------

std::string training_section(const RunContents& run) {
    const CsvTable& l = run.losses;
    const std::vector<double>* stage = l.column("stage");
    const std::vector<double>* step = l.column("step");
    if (l.rows() == 0 || stage == nullptr || step == nullptr) return "";
    const nlohmann::json& ladder = run.record["config"]["ladder"];
    std::set<int64_t> stages;
    for (const double s : *stage)
        if (std::isfinite(s)) stages.insert(static_cast<int64_t>(s));
    std::string body;
    for (const int64_t s : stages) {
        std::vector<std::size_t> rows;
        for (std::size_t i = 0; i < l.rows(); ++i)
            if ((*stage)[i] == static_cast<double>(s)) rows.push_back(i);
        LinePlot p;
        p.id = fmt::format("loss-stage{}", s);
        // Stage s trains the networks that anneal rung s to rung s + 1.
        const auto k = static_cast<std::size_t>(s);
        p.title = k + 1 < ladder.size()
                      ? fmt::format("stage {} · the networks for T = {} → {}", s,
                                    temperature_label(ladder[k].get<double>()),
                                    temperature_label(ladder[k + 1].get<double>()))
                      : fmt::format("stage {}", s);
        p.x.label = "training step";
        p.y.label = "loss";
        bool positive = true;
        std::size_t colour = 0;
        for (const char* name : {"total", "score", "energy_score", "energy_matching",
                                 "target_score", "energy_consistency"}) {
            const std::vector<double>* col = l.column(name);
            if (col == nullptr) continue;
            LineSeries series{name, {}, {}, series_colour(colour++), LineStyle::Solid};
            bool any = false;
            for (const std::size_t i : rows) {
                series.x.push_back((*step)[i]);
                series.y.push_back((*col)[i]);
                any |= std::isfinite((*col)[i]);
                positive &= !std::isfinite((*col)[i]) || (*col)[i] > 0;
            }
            if (std::string(name) == "total") series.style = LineStyle::Dashed;
            if (any) p.series.push_back(std::move(series));
        }
        p.y.scale = positive ? AxisScale::Log : AxisScale::Linear;
        body += render_line_plot(p);
    }
    if (body.empty()) return "";
    return section("training", "Training losses",
                   "<p class=\"explain\">train/losses.csv, one panel per training stage (the "
                   "networks trained at each rung before annealing from it).</p>\n" +
                       figures(body));
}

// ---- cost ----------------------------------------------------------------------------------

std::string cost_section(const RunContents& run) {
    std::string body;
    const nlohmann::json& s = run.state;
    if (s.is_object() && s.contains("energy_evaluations") && !s["energy_evaluations"].empty()) {
        BarChart c;
        c.id = "cost-evaluations";
        c.title = "Target-energy evaluations by phase";
        int64_t total = 0;
        for (const auto& [phase, n] : s["energy_evaluations"].items()) {
            c.labels.push_back(phase);
            c.values.push_back(n.get<double>());
            total += n.get<int64_t>();
        }
        c.notes.push_back(fmt::format("sampler total {}", total));
        if (run.metrics.is_object() && run.metrics.contains("metric_energy_evaluations")) {
            c.labels.push_back("metrics (apart)");
            c.values.push_back(run.metrics["metric_energy_evaluations"].get<double>());
            c.notes.push_back("the metrics' own evaluations are not the sampler's");
        }
        body += render_bar_chart(c);
    }
    if (s.is_object() && s.contains("seconds") && !s["seconds"].empty()) {
        BarChart c;
        c.id = "cost-seconds";
        c.title = "Wall time by phase";
        c.value_suffix = " s";
        double total = 0;
        for (const auto& [phase, v] : s["seconds"].items()) {
            c.labels.push_back(phase);
            c.values.push_back(v.get<double>());
            total += v.get<double>();
        }
        c.notes.push_back(
            fmt::format("total {} s (all sessions of the run)", format_number(total, 4)));
        body += render_bar_chart(c);
    }
    if (body.empty()) return "";
    return section("cost", "Cost", "<p class=\"explain\">From state.json.</p>\n" + figures(body));
}

std::string config_section(const RunContents& run) {
    return section("config", "Resolved config",
                   "<p class=\"explain\">run.json's config: every key with the value used, "
                   "defaults included.</p>\n<pre id=\"config-text\">" +
                       escape_html(json_text(run.record["config"], 2)) + "</pre>\n");
}

std::string utc_now() {
    const std::time_t now = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&now, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
    return buf;
}

}  // namespace

std::string render_run_report(const RunContents& run) {
    const std::vector<std::pair<std::string, std::string>> parts = {
        {"run", run_section(run)},
        {"metrics", metrics_section(run)},
        {"energy", energy_section(run)},
        {"distances", distance_section(run)},
        {"ramachandran", ramachandran_section(run)},
        {"sde", sde_section(run)},
        {"training", training_section(run)},
        {"cost", cost_section(run)},
        {"config", config_section(run)},
    };
    const std::map<std::string, std::string> nav_names = {{"run", "Run"},
                                                          {"metrics", "Metrics"},
                                                          {"energy", "Energies"},
                                                          {"distances", "Distances"},
                                                          {"ramachandran", "Ramachandran"},
                                                          {"sde", "SMC"},
                                                          {"training", "Training"},
                                                          {"cost", "Cost"},
                                                          {"config", "Config"}};
    const std::string name =
        std::filesystem::path(run.run_dir).lexically_normal().filename().string();
    const nlohmann::json& c = run.record["config"];
    std::string html = fmt::format(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        "<title>pita report · {}</title>\n<style>{}</style>\n</head>\n<body>\n"
        "<header id=\"top\">\n<h1>pita run report · {}</h1>\n<p class=\"sub\">{} · ladder {} · "
        "{}</p>\n<nav>",
        escape_html(name), kStyle, escape_html(name),
        escape_html(c.contains("energy") ? c["energy"].value("type", std::string("?")) : "?"),
        escape_html(ladder_label(c["ladder"])),
        escape_html(run.metrics.is_object() ? "finished" : "not finished"));
    for (const auto& [id, content] : parts)
        if (!content.empty())
            html += fmt::format("<a href=\"#{}\">{}</a>", id, escape_html(nav_names.at(id)));
    html += "</nav>\n</header>\n<main>\n";
    for (const auto& [id, content] : parts) html += content;
    html +=
        fmt::format("</main>\n<footer>Written by pita {} ({}) on {}.</footer>\n</body>\n</html>\n",
                    escape_html(version()), escape_html(git_hash()), utc_now());
    return html;
}

ReportResult write_run_report(const std::string& run_dir, const ReportOptions& options,
                              const Energy* energy) {
    const auto start = std::chrono::steady_clock::now();
    const RunContents run = read_run_contents(run_dir, options, energy);
    const std::string html = render_run_report(run);
    ReportResult result;
    result.path = options.out.empty() ? (std::filesystem::path(run_dir) / "report.html").string()
                                      : options.out;
    write_text_atomically(result.path, html);
    result.bytes = static_cast<int64_t>(html.size());
    result.notes = run.notes;
    result.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return result;
}

}  // namespace pita
