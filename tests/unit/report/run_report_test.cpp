// The report's HTML from run contents built in memory: sections appear only with their data,
// non-finite numbers (NaN metrics, written as null in metrics.json) render as text instead of
// failing, and every string from the run is escaped.
#include <cmath>
#include <limits>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "pita/report/run_report.h"

namespace {

using ::testing::HasSubstr;
using ::testing::Not;
constexpr double kNotANumber = std::numeric_limits<double>::quiet_NaN();

pita::RunContents minimal_run() {
    pita::RunContents run;
    run.run_dir = "runs/<odd & name>";
    run.record = {{"command", "run"},
                  {"seed", 7},
                  {"config",
                   {{"ladder", {4.0, 3.0}},
                    {"energy", {{"type", "lennard_jones"}, {"n_particles", 13}}},
                    {"note", "</pre><b>not markup</b>"}}}};
    run.particle_system = true;
    return run;
}

TEST(RunReport, ConfigOnlyRunHasTheRunAndConfigSectionsAndEscapesItsText) {
    const std::string html = pita::render_run_report(minimal_run());
    EXPECT_THAT(html, HasSubstr("<section id=\"run\">"));
    EXPECT_THAT(html, HasSubstr("<section id=\"config\">"));
    for (const char* absent :
         {"metrics", "energy", "distances", "ramachandran", "sde", "training", "cost"})
        EXPECT_THAT(html, Not(HasSubstr("<section id=\"" + std::string(absent) + "\">"))) << absent;
    EXPECT_THAT(html, HasSubstr("runs/&lt;odd &amp; name&gt;"));
    EXPECT_THAT(html, HasSubstr("&lt;/pre&gt;&lt;b&gt;not markup&lt;/b&gt;"));
    EXPECT_THAT(html, Not(HasSubstr("<b>not markup")));
    EXPECT_THAT(html, HasSubstr("4 → 3"));
}

TEST(RunReport, NonFiniteMetricsAndSamplesRenderAsTextNotAsFailures) {
    pita::RunContents run = minimal_run();
    // metrics.json writes NaN as null.
    run.metrics = nlohmann::json::parse(R"({
      "temperatures": [
        {"temperature": 4, "source": "mcmc", "samples": 10, "mean_energy": null,
         "energy_w2": null, "configurational_temperature": {"value": null, "standard_error": 1}},
        {"temperature": 3, "source": "annealed", "samples": 10, "mean_energy": 1.5,
         "smc": {"min_ess": null, "correction_ess": 2},
         "before_relaxation": {"temperature": 3, "source": "networks", "samples": 10,
                               "mean_energy": 2.5}}
      ]})");
    pita::RungContents rung;
    rung.temperature = 3;
    rung.dir = "T3";
    rung.source = "annealed";
    pita::SetValues v;
    v.samples = 3;
    v.reduced_energies = {kNotANumber, 1.0, 2.0};
    v.pair_distances = {kNotANumber, kNotANumber};
    rung.samples = v;
    rung.diagnostics.names = {"step", "ess", "log_weight_variance", "resampled"};
    rung.diagnostics.columns = {
        {0, 1, 2}, {10, kNotANumber, 8}, {kNotANumber, 0.1, 0.2}, {1, 0, 1}};
    run.rungs.push_back(rung);
    std::string html;
    ASSERT_NO_THROW(html = pita::render_run_report(run));
    EXPECT_THAT(html, HasSubstr("id=\"metrics-table\""));
    EXPECT_THAT(html, HasSubstr("<td>NaN</td>"));  // energy_w2 of T = 4
    EXPECT_THAT(html, HasSubstr("NaN ± 1"));       // T_conf
    EXPECT_THAT(html, HasSubstr("<tr class=\"networks rung-start\">"));
    EXPECT_THAT(html, HasSubstr("id=\"energy-T3\""));
    EXPECT_THAT(html, HasSubstr("1 non-finite"));
    EXPECT_THAT(html, HasSubstr("id=\"distances-T3\""));
    EXPECT_THAT(html, HasSubstr("no finite data"));  // every distance is NaN
    EXPECT_THAT(html, HasSubstr("id=\"sde-ess-T3\""));
    EXPECT_THAT(html, HasSubstr("resampling (2 events)"));
    EXPECT_THAT(html, Not(HasSubstr("nan")));  // nothing non-finite reached a coordinate
}

}  // namespace
