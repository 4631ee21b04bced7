#pragma once
// Hand-written SVG figures for the run report (issue 16): line plots, overlaid histograms,
// heat maps and bar charts. Each render_* function returns one HTML <figure class="plot"> with
// the given id: an inline <svg> (axes with ticks, gridlines, the data), and a caption with the
// title, a legend and notes. No scripts, no fonts, no external resources. No LibTorch here.
//
// Non-finite data are never drawn: a line breaks at a non-finite point (or a non-positive one on
// a log axis), a histogram counts non-finite values apart and says so in its legend, and a plot
// without any finite point says "no finite data" instead of axes.
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace pita {

enum class AxisScale { Linear, Log };
enum class LineStyle { Solid, Dashed };
enum class HistogramStyle {
    Filled,      ///< a shaded area (the reference)
    Step,        ///< a solid outline
    DashedStep,  ///< a dashed outline
};

struct PlotAxis {
    std::string label;
    AxisScale scale = AxisScale::Linear;
    /// The axis range; NaN takes it from the data.
    double lo = std::numeric_limits<double>::quiet_NaN();
    double hi = std::numeric_limits<double>::quiet_NaN();
};

/// The drawing area of one plot, in CSS pixels.
struct PlotSize {
    int width = 400;
    int height = 240;
};

struct LineSeries {
    std::string label;
    std::vector<double> x, y;  ///< same length
    std::string colour;        ///< CSS colour; "" = series_colour(index)
    LineStyle style = LineStyle::Solid;
};

struct LinePlot {
    std::string id;  ///< the figure's HTML id
    std::string title;
    PlotAxis x, y;
    std::vector<LineSeries> series;
    /// Positions on the x axis marked by short ticks along the bottom (e.g. resampling events).
    std::vector<double> events;
    std::string events_label;
    std::vector<std::string> notes;  ///< plain text, escaped when rendered
    PlotSize size;
};

std::string render_line_plot(const LinePlot& plot);

/// Counts of `values` in `bins` equal bins over [lo, hi]; values outside are counted as below
/// or above, non-finite ones apart. The last bin includes hi.
struct Histogram {
    double lo = 0;
    double hi = 1;
    std::vector<int64_t> counts;
    int64_t below = 0;
    int64_t above = 0;
    int64_t non_finite = 0;

    int64_t in_range() const;
    int64_t finite() const { return in_range() + below + above; }
    double bin_width() const;
    /// counts / (finite() · bin_width()): the density estimate of all finite values, so the bars
    /// integrate to the fraction in range, and sets of different sizes compare.
    std::vector<double> densities() const;
};

/// @throws ConfigError when bins < 1 or the range is not finite with lo < hi
Histogram make_histogram(const std::vector<double>& values, double lo, double hi, int64_t bins);

/// A histogram range for several sets: the union of each set's 0.5–99.5 % quantile range; with an
/// `anchor` (the reference's index), clipped to the anchor's range widened by twice its width on
/// each side, so a set far off the reference shows as "beyond the axis" instead of squashing it.
/// Padded by 2 %; a degenerate range is widened. {NaN, NaN} when no set has a finite value.
std::pair<double, double> histogram_range(const std::vector<std::vector<double>>& sets,
                                          std::optional<std::size_t> anchor = std::nullopt);

struct HistogramSeries {
    std::string label;
    std::vector<double> values;
    std::string colour;  ///< "" = series_colour(index)
    HistogramStyle style = HistogramStyle::Step;
    /// What the legend counts: "" = "n = <number of values>"; e.g. "256 samples" when the values
    /// are pair distances.
    std::string count_label;
};

struct HistogramPlot {
    std::string id;
    std::string title;
    std::string x_label;
    std::vector<HistogramSeries> series;
    int64_t bins = 50;
    /// The series that anchors the range (histogram_range), usually the reference.
    std::optional<std::size_t> anchor;
    std::vector<std::string> notes;
    PlotSize size;
};

/// Densities (y) of every series over one common range and set of bins.
std::string render_histogram_plot(const HistogramPlot& plot);

/// Counts of points (x, y) in nx × ny equal cells over a rectangle, row-major with y outermost
/// (cell (i, j) at counts[j * nx + i]); points outside or non-finite counted in `outside`.
struct Histogram2d {
    double x_lo = 0, x_hi = 1, y_lo = 0, y_hi = 1;
    int64_t nx = 1, ny = 1;
    std::vector<int64_t> counts;
    int64_t outside = 0;
    int64_t total() const;  ///< points inside
};

/// @throws ConfigError when x and y differ in length, a count is < 1 or a range is empty
Histogram2d make_histogram_2d(const std::vector<double>& x, const std::vector<double>& y,
                              double x_lo, double x_hi, double y_lo, double y_hi, int64_t nx,
                              int64_t ny);

struct HeatMapPanel {
    std::string label;  ///< above the panel, e.g. "generated (256)"
    Histogram2d histogram;
};

/// Panels side by side on common axes; each panel's colour is the square root of its cells'
/// counts over its largest count (sequential_colour), empty cells left blank.
struct HeatMapPlot {
    std::string id;
    std::string title;
    std::string x_label, y_label;
    std::vector<double> x_ticks, y_ticks;  ///< in data units; empty = linear_ticks
    std::vector<HeatMapPanel> panels;
    int panel_size = 190;
    std::vector<std::string> notes;
};

std::string render_heat_maps(const HeatMapPlot& plot);

/// Horizontal bars with their values printed at the ends.
struct BarChart {
    std::string id;
    std::string title;
    std::vector<std::string> labels;
    std::vector<double> values;  ///< >= 0; non-finite bars are drawn empty and labelled
    std::string value_suffix;    ///< after each printed value, e.g. " s"; whole numbers print
                                 ///< in full ("294464")
    std::vector<std::string> notes;
    int width = 400;
};

std::string render_bar_chart(const BarChart& chart);

}  // namespace pita
