// The SVG building blocks of the run report: escaping, number labels, ticks, histograms (counts,
// densities, ranges), line plots with gaps, heat maps and bar charts.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "pita/core/error.h"
#include "pita/report/plots.h"
#include "pita/report/run_contents.h"
#include "pita/report/svg.h"
#include "support/cli_helpers.h"
#include "support/text_helpers.h"

namespace {

using pita::testing::count_of;

using ::testing::HasSubstr;
using ::testing::Not;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

/// The d="..." attributes of every <path class="series"> in `svg`.
std::vector<std::string> series_paths(const std::string& svg) {
    std::vector<std::string> out;
    const std::string key = "<path class=\"series\" d=\"";
    for (std::size_t p = svg.find(key); p != std::string::npos; p = svg.find(key, p + 1)) {
        const std::size_t start = p + key.size();
        out.push_back(svg.substr(start, svg.find('"', start) - start));
    }
    return out;
}

/// The d="..." attributes of every unclassed <path> (the heat map's cells).
std::vector<std::string> fill_paths(const std::string& svg) {
    std::vector<std::string> out;
    const std::string key = "<path d=\"";
    for (std::size_t p = svg.find(key); p != std::string::npos; p = svg.find(key, p + 1)) {
        const std::size_t start = p + key.size();
        out.push_back(svg.substr(start, svg.find('"', start) - start));
    }
    return out;
}

TEST(ReportSvg, EscapesEveryCharacterThatCouldBreakMarkup) {
    EXPECT_EQ(pita::escape_html("<a href=\"x\">&'</a>"),
              "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;");
    EXPECT_EQ(pita::escape_html("φ ψ ⟨E⟩ → T"), "φ ψ ⟨E⟩ → T");  // UTF-8 passes unchanged
    EXPECT_EQ(pita::escape_html(std::string("a\x01"
                                            "b\tc\n",
                                            6)),
              "a\xEF\xBF\xBD"
              "b\tc\n");
    EXPECT_EQ(pita::escape_html(""), "");
}

TEST(ReportSvg, FormatsNumbersShortAndNamesNonFiniteOnes) {
    EXPECT_EQ(pita::format_number(0), "0");
    EXPECT_EQ(pita::format_number(1.5), "1.5");
    EXPECT_EQ(pita::format_number(-0.25), "-0.25");
    EXPECT_EQ(pita::format_number(12345), "12345");
    EXPECT_EQ(pita::format_number(2.5e7), "2.5e+07");
    EXPECT_EQ(pita::format_number(1e-4), "1e-04");
    EXPECT_EQ(pita::format_number(kNaN), "NaN");
    EXPECT_EQ(pita::format_number(kInf), "inf");
    EXPECT_EQ(pita::format_number(-kInf), "-inf");
}

TEST(ReportSvg, LinearTicksAreRoundEvenlySpacedAndInsideTheRange) {
    const std::vector<double> t = pita::linear_ticks(0, 10);
    EXPECT_EQ(t, (std::vector<double>{0, 2, 4, 6, 8, 10}));
    const std::vector<double> u = pita::linear_ticks(-0.3, 0.7);
    ASSERT_GE(u.size(), 2u);
    for (std::size_t i = 0; i < u.size(); ++i) {
        EXPECT_GE(u[i], -0.3 - 1e-12);
        EXPECT_LE(u[i], 0.7 + 1e-12);
        if (i > 0) {
            EXPECT_NEAR(u[i] - u[i - 1], u[1] - u[0], 1e-12);
        }
    }
    EXPECT_NE(std::find(u.begin(), u.end(), 0.0), u.end());  // exactly 0, not -1e-17
    EXPECT_TRUE(pita::linear_ticks(kNaN, 1).empty());
    EXPECT_EQ(pita::linear_ticks(3, 3), (std::vector<double>{3}));
    EXPECT_EQ(pita::log_ticks(1e-4, 1), (std::vector<double>{1e-4, 1e-3, 1e-2, 1e-1, 1}));
}

TEST(ReportSvg, SequentialColoursClampAndCoverTheScale) {
    EXPECT_EQ(pita::sequential_colour(-1), pita::sequential_colour(0));
    EXPECT_EQ(pita::sequential_colour(2), pita::sequential_colour(1));
    EXPECT_EQ(pita::sequential_colour(kNaN), pita::sequential_colour(0));
    EXPECT_NE(pita::sequential_colour(0), pita::sequential_colour(1));
    EXPECT_EQ(pita::sequential_colour(0.5).size(), 7u);
}

TEST(ReportHistogram, BarsCountEveryValueOnceAndTheDensityIntegratesToTheFractionInRange) {
    const std::vector<double> v = {0.0, 0.1, 0.5, 0.99, 1.0, -0.2, 1.5, kNaN, kInf, 0.5};
    const pita::Histogram h = pita::make_histogram(v, 0.0, 1.0, 4);
    EXPECT_EQ(h.counts, (std::vector<int64_t>{2, 0, 2, 2}));  // 1.0 falls in the last bin
    EXPECT_EQ(h.below, 1);
    EXPECT_EQ(h.above, 1);       // 1.5
    EXPECT_EQ(h.non_finite, 2);  // NaN and inf
    EXPECT_EQ(h.in_range() + h.below + h.above + h.non_finite, static_cast<int64_t>(v.size()));
    double integral = 0;
    for (const double d : h.densities()) integral += d * h.bin_width();
    EXPECT_NEAR(integral, static_cast<double>(h.in_range()) / static_cast<double>(h.finite()),
                1e-12);
    EXPECT_THROW(pita::make_histogram(v, 1.0, 1.0, 4), pita::ConfigError);
    EXPECT_THROW(pita::make_histogram(v, 0.0, 1.0, 0), pita::ConfigError);
}

TEST(ReportHistogram, RangeFollowsTheReferenceAndLeavesAFarSetBeyondTheAxis) {
    std::vector<double> reference, near, far;
    for (int i = 0; i < 1000; ++i) {
        reference.push_back(i / 1000.0);   // [0, 1)
        near.push_back(0.5 + i / 2000.0);  // inside
        far.push_back(1e6 + i);            // far off the reference
    }
    const auto [lo, hi] = pita::histogram_range({reference, near, far}, 0);
    EXPECT_LT(lo, 0.01);
    EXPECT_GT(hi, 0.99);
    EXPECT_LT(hi, 1.2);  // the far set does not stretch the axis
    const auto [lo2, hi2] = pita::histogram_range({reference, far});  // no anchor: the union
    EXPECT_GT(hi2, 1e6);
    const auto [a, b] = pita::histogram_range({{kNaN, kInf}});
    EXPECT_TRUE(std::isnan(a) && std::isnan(b));
    const auto [c, d] = pita::histogram_range({{2.0, 2.0}});  // degenerate: widened
    EXPECT_LT(c, 2.0);
    EXPECT_GT(d, 2.0);
}

TEST(ReportHistogram, PlotCountsValuesBeyondTheAxisAndNonFiniteOnesInItsLegend) {
    pita::HistogramPlot plot;
    plot.id = "energy-T3";
    plot.title = "T = 3 <annealed> & more";
    plot.x_label = "E / T";
    std::vector<double> reference, generated;
    for (int i = 0; i < 500; ++i) reference.push_back(std::sin(i) * 3);
    for (int i = 0; i < 100; ++i) generated.push_back(i < 90 ? 1e9 + i : 0.1 * i);
    generated.push_back(kNaN);
    plot.series.push_back({"reference", reference, "#888888", pita::HistogramStyle::Filled, ""});
    plot.series.push_back({"annealed", generated, "", pita::HistogramStyle::Step, ""});
    plot.anchor = 0;
    const std::string html = pita::render_histogram_plot(plot);
    EXPECT_THAT(html, HasSubstr("<figure class=\"plot\" id=\"energy-T3\">"));
    EXPECT_THAT(html, HasSubstr("T = 3 &lt;annealed&gt; &amp; more"));
    EXPECT_THAT(html, Not(HasSubstr("<annealed>")));
    EXPECT_THAT(html, HasSubstr("annealed (n = 101; 90 beyond the axis, median 1e+09; 1 "
                                "non-finite)"));
    EXPECT_THAT(html, HasSubstr("<path class=\"area\""));
    EXPECT_EQ(series_paths(html).size(), 1u);
    // Nothing non-finite reaches the drawing.
    EXPECT_THAT(html, Not(HasSubstr("nan")));
    EXPECT_THAT(html, Not(HasSubstr("inf\"")));
}

TEST(ReportLinePlot, BreaksTheLineAtNonFinitePointsAndNonPositiveOnesOnALogAxis) {
    pita::LinePlot plot;
    plot.id = "sde-variance-T3";
    plot.title = "variance";
    plot.y.scale = pita::AxisScale::Log;
    plot.series.push_back({"v",
                           {0, 1, 2, 3, 4, 5, 6},
                           {1e-3, 1e-2, kNaN, 1e-1, 0.0, 1, 10},
                           "",
                           pita::LineStyle::Solid});
    plot.events = {1, 3};
    plot.events_label = "resampling";
    const std::string html = pita::render_line_plot(plot);
    const std::vector<std::string> paths = series_paths(html);
    ASSERT_EQ(paths.size(), 1u);
    EXPECT_EQ(count_of(paths[0], "M"), 3);  // segments {0,1}, {3}, {5,6}
    EXPECT_THAT(html, Not(HasSubstr("nan")));
    EXPECT_THAT(html, HasSubstr("<path class=\"events\""));
    EXPECT_EQ(count_of(html, "v-7"), 2);
    EXPECT_THAT(html, HasSubstr(">resampling</span>"));

    pita::LinePlot empty;
    empty.id = "x";
    empty.series.push_back({"none", {0, 1}, {kNaN, kNaN}, "", pita::LineStyle::Solid});
    EXPECT_THAT(pita::render_line_plot(empty), HasSubstr("no finite data"));
}

TEST(ReportHeatMap, CountsPointsPerCellAndDrawsOnlyFilledCells) {
    const pita::Histogram2d h =
        pita::make_histogram_2d({-175, -172, 10, 179.9, kNaN, 500}, {-175, -171, 20, 180, 0, 0},
                                -180, 180, -180, 180, 36, 36);
    EXPECT_EQ(h.total(), 4);
    EXPECT_EQ(h.outside, 2);               // NaN and 500
    EXPECT_EQ(h.counts[0], 2);             // cell (0, 0)
    EXPECT_EQ(h.counts[35 * 36 + 35], 1);  // the top-right corner includes 180
    EXPECT_THROW(pita::make_histogram_2d({1}, {}, 0, 1, 0, 1, 2, 2), pita::ConfigError);

    pita::HeatMapPlot plot;
    plot.id = "rama-T300-ALA2";
    plot.title = "ALA2";
    plot.panels.push_back({"generated (4)", h});
    plot.panels.push_back(
        {"reference (0)", pita::make_histogram_2d({}, {}, -180, 180, -180, 180, 36, 36)});
    const std::string html = pita::render_heat_maps(plot);
    EXPECT_THAT(html, HasSubstr("id=\"rama-T300-ALA2\""));
    EXPECT_THAT(html, HasSubstr("generated (4)"));
    EXPECT_THAT(html, HasSubstr("no data"));  // the empty panel says so
    // Three filled cells in two colour levels (the peak and the singles), one path per level.
    const std::vector<std::string> cells = fill_paths(html);
    ASSERT_EQ(cells.size(), 2u);
    EXPECT_EQ(count_of(cells[0] + cells[1], "z"), 3);
}

TEST(ReportBarChart, PrintsWholeNumbersInFull) {
    pita::BarChart c;
    c.id = "cost-evaluations";
    c.labels = {"data", "relaxation"};
    c.values = {294464, 2.5};
    c.value_suffix = " s";
    const std::string html = pita::render_bar_chart(c);
    EXPECT_THAT(html, HasSubstr(">294464 s</text>"));
    EXPECT_THAT(html, HasSubstr(">2.5 s</text>"));
    EXPECT_EQ(count_of(html, "<rect class=\"bar\""), 2);
}

using ReportReaderTest = pita::testing::ScratchDirTest;

TEST_F(ReportReaderTest, ReadsCsvColumnsWithEmptyFieldsAsNaN) {
    std::ofstream(dir_ / "l.csv") << "stage,step,total,target_score\n0,10,5.5,\n0,20,4.5,\n";
    const pita::CsvTable t = pita::read_csv_table((dir_ / "l.csv").string());
    ASSERT_EQ(t.rows(), 2u);
    EXPECT_EQ(*t.column("step"), (std::vector<double>{10, 20}));
    EXPECT_TRUE(std::isnan((*t.column("target_score"))[1]));
    EXPECT_EQ(t.column("nope"), nullptr);
    std::ofstream(dir_ / "bad.csv") << "a,b\n1,2,3\n";
    EXPECT_THROW(pita::read_csv_table((dir_ / "bad.csv").string()), pita::IoError);
}

TEST_F(ReportReaderTest, RefusesWhatIsNotARunDirectoryNamingTheProblemAndTheFix) {
    auto message = [&](const std::string& dir) {
        try {
            pita::read_run_contents(dir, {});
        } catch (const pita::IoError& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    EXPECT_THAT(message((dir_ / "missing").string()), HasSubstr("no such directory"));
    EXPECT_THAT(message(dir_.string()), HasSubstr("no run.json there"));
    EXPECT_THAT(message(dir_.string()), HasSubstr("Pass the output directory of `pita run`"));
    std::ofstream(dir_ / "run.json") << R"({"command": "mcmc", "config": {}})";
    EXPECT_THAT(message(dir_.string()), HasSubstr("written by `pita mcmc`, not `pita run`"));
    std::ofstream(dir_ / "run.json") << R"({"command": "run", "config": {}})";
    EXPECT_THAT(message(dir_.string()), HasSubstr("has no config.ladder"));
}

}  // namespace
