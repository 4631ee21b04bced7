#include "pita/report/plots.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include <fmt/format.h>

#include "pita/core/error.h"
#include "pita/report/svg.h"

namespace pita {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// A coordinate, short: one decimal is finer than a screen pixel.
std::string coord(double v) { return fmt::format("{:.1f}", v); }

/// The plot area inside an SVG of `size`, and the maps from data to pixels.
struct Frame {
    double left = 58, right = 12, top = 10, bottom = 40;
    double width = 0, height = 0;  ///< of the whole SVG
    double x_lo = 0, x_hi = 1, y_lo = 0, y_hi = 1;
    AxisScale x_scale = AxisScale::Linear, y_scale = AxisScale::Linear;

    double inner_width() const { return width - left - right; }
    double inner_height() const { return height - top - bottom; }
    static double transform(double v, AxisScale s) {
        return s == AxisScale::Log ? (v > 0 ? std::log10(v) : kNaN) : v;
    }
    double px(double x) const {
        const double a = transform(x_lo, x_scale), b = transform(x_hi, x_scale);
        return left + (transform(x, x_scale) - a) / (b - a) * inner_width();
    }
    double py(double y) const {
        const double a = transform(y_lo, y_scale), b = transform(y_hi, y_scale);
        return top + inner_height() - (transform(y, y_scale) - a) / (b - a) * inner_height();
    }
    bool drawable(double x, double y) const { return std::isfinite(px(x)) && std::isfinite(py(y)); }

    /// Gridlines, ticks with labels, axis labels and the frame.
    std::string axes(const std::string& x_label, const std::string& y_label) const {
        const std::vector<double> xt =
            x_scale == AxisScale::Log ? log_ticks(x_lo, x_hi) : linear_ticks(x_lo, x_hi);
        const std::vector<double> yt =
            y_scale == AxisScale::Log ? log_ticks(y_lo, y_hi) : linear_ticks(y_lo, y_hi, 4);
        std::string s = "<g class=\"axes\">";
        const double x0 = left, x1 = left + inner_width(), y0 = top + inner_height(), y1 = top;
        for (const double t : xt) {
            const double p = px(t);
            s += fmt::format(
                "<line class=\"grid\" x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\"/>"
                "<text x=\"{0}\" y=\"{3}\" text-anchor=\"middle\">{4}</text>",
                coord(p), coord(y1), coord(y0 + 4), coord(y0 + 15), escape_html(format_number(t)));
        }
        for (const double t : yt) {
            const double p = py(t);
            s += fmt::format(
                "<line class=\"grid\" x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\"/>"
                "<text x=\"{3}\" y=\"{4}\" text-anchor=\"end\">{5}</text>",
                coord(x0 - 4), coord(p), coord(x1), coord(x0 - 6), coord(p + 3.5),
                escape_html(format_number(t)));
        }
        s += fmt::format(
            "<rect class=\"frame\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"/>"
            "<text class=\"label\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>"
            "<text class=\"label\" transform=\"translate({},{}) rotate(-90)\" "
            "text-anchor=\"middle\">{}</text></g>",
            coord(x0), coord(y1), coord(inner_width()), coord(inner_height()),
            coord(x0 + inner_width() / 2), coord(height - 6), escape_html(x_label), coord(13),
            coord(y1 + inner_height() / 2), escape_html(y_label));
        return s;
    }
};

std::string svg_open(double width, double height, const std::string& title) {
    return fmt::format(
        "<svg class=\"chart\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} {1}\" "
        "role=\"img\"><title>{2}</title>",
        coord(width), coord(height), escape_html(title));
}

std::string no_data(double width, double height) {
    return fmt::format(
        "<text class=\"empty\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">no finite data</text>",
        coord(width / 2), coord(height / 2));
}

enum class SwatchKind { Line, DashedLine, Area, Tick };

struct LegendEntry {
    std::string label;
    std::string colour;
    SwatchKind kind = SwatchKind::Line;
};

std::string figure(const std::string& id, const std::string& title, const std::string& svg,
                   const std::vector<LegendEntry>& legend, const std::vector<std::string>& notes) {
    std::string s = fmt::format(
        "<figure class=\"plot\" id=\"{}\">\n<figcaption><span class=\"title\">{}</span>",
        escape_html(id), escape_html(title));
    if (!legend.empty()) {
        s += "<span class=\"legend\">";
        for (const LegendEntry& e : legend) {
            const char* kind = e.kind == SwatchKind::Line         ? "line"
                               : e.kind == SwatchKind::DashedLine ? "dashed"
                               : e.kind == SwatchKind::Area       ? "area"
                                                                  : "tick";
            s += fmt::format(
                "<span class=\"key\"><span class=\"swatch {}\" style=\"--c:{}\"></span>{}</span>",
                kind, escape_html(e.colour), escape_html(e.label));
        }
        s += "</span>";
    }
    s += "</figcaption>\n" + svg + "\n";
    for (const std::string& n : notes) s += "<p class=\"note\">" + escape_html(n) + "</p>";
    s += "</figure>\n";
    return s;
}

/// The finite range of `values` (positive only on a log axis): {NaN, NaN} when empty.
std::pair<double, double> finite_range(const std::vector<double>& values, AxisScale scale) {
    double lo = kNaN, hi = kNaN;
    for (const double v : values) {
        if (!std::isfinite(v) || (scale == AxisScale::Log && !(v > 0))) continue;
        lo = std::isnan(lo) ? v : std::min(lo, v);
        hi = std::isnan(hi) ? v : std::max(hi, v);
    }
    return {lo, hi};
}

/// Widens a degenerate range and pads a linear one, leaving explicitly set ends alone.
std::pair<double, double> settle_range(double lo, double hi, const PlotAxis& axis, double pad) {
    if (std::isfinite(axis.lo)) lo = axis.lo;
    if (std::isfinite(axis.hi)) hi = axis.hi;
    if (!std::isfinite(lo) || !std::isfinite(hi)) return {kNaN, kNaN};
    if (axis.scale == AxisScale::Log) {
        if (hi <= lo) {
            lo /= 2;
            hi *= 2;
        }
        const double factor = std::pow(hi / lo, pad);  // the same padding, in decades
        return {std::isfinite(axis.lo) ? lo : lo / factor,
                std::isfinite(axis.hi) ? hi : hi * factor};
    }
    if (hi <= lo) {
        const double w = std::max(0.5, std::abs(lo) * 0.05);
        return {lo - w, hi + w};
    }
    const double w = (hi - lo) * pad;
    return {std::isfinite(axis.lo) ? lo : lo - w, std::isfinite(axis.hi) ? hi : hi + w};
}

/// Quantile q of sorted finite values (linear interpolation).
double quantile(const std::vector<double>& sorted, double q) {
    const double pos = q * static_cast<double>(sorted.size() - 1);
    const auto i = static_cast<std::size_t>(std::floor(pos));
    const std::size_t j = std::min(i + 1, sorted.size() - 1);
    return sorted[i] + (pos - static_cast<double>(i)) * (sorted[j] - sorted[i]);
}

std::vector<double> sorted_finite(const std::vector<double>& values) {
    std::vector<double> v;
    v.reserve(values.size());
    for (const double x : values)
        if (std::isfinite(x)) v.push_back(x);
    std::sort(v.begin(), v.end());
    return v;
}

}  // namespace

// ---- line plots --------------------------------------------------------------------------

std::string render_line_plot(const LinePlot& plot) {
    Frame f;
    f.width = plot.size.width;
    f.height = plot.size.height;
    f.x_scale = plot.x.scale;
    f.y_scale = plot.y.scale;
    std::vector<double> xs, ys;
    for (const LineSeries& s : plot.series) {
        PITA_ASSERT(s.x.size() == s.y.size(), "series '{}' has {} x and {} y values", s.label,
                    s.x.size(), s.y.size());
        for (std::size_t i = 0; i < s.x.size(); ++i) {
            // Only points drawable on both axes decide the ranges.
            const bool ok_x = std::isfinite(Frame::transform(s.x[i], plot.x.scale));
            const bool ok_y = std::isfinite(Frame::transform(s.y[i], plot.y.scale));
            if (ok_x && ok_y) {
                xs.push_back(s.x[i]);
                ys.push_back(s.y[i]);
            }
        }
    }
    const auto [x0, x1] = finite_range(xs, plot.x.scale);
    const auto [y0, y1] = finite_range(ys, plot.y.scale);
    std::tie(f.x_lo, f.x_hi) = settle_range(x0, x1, plot.x, 0.0);
    std::tie(f.y_lo, f.y_hi) = settle_range(y0, y1, plot.y, 0.05);
    std::string svg = svg_open(f.width, f.height, plot.title);
    std::vector<LegendEntry> legend;
    if (xs.empty() || !std::isfinite(f.x_lo) || !std::isfinite(f.y_lo)) {
        svg += no_data(f.width, f.height) + "</svg>";
        return figure(plot.id, plot.title, svg, legend, plot.notes);
    }
    svg += f.axes(plot.x.label, plot.y.label);
    for (std::size_t k = 0; k < plot.series.size(); ++k) {
        const LineSeries& s = plot.series[k];
        const std::string colour = s.colour.empty() ? series_colour(k) : s.colour;
        std::string d;
        bool pen_down = false;
        for (std::size_t i = 0; i < s.x.size(); ++i) {
            if (!f.drawable(s.x[i], s.y[i])) {
                pen_down = false;  // a gap
                continue;
            }
            d += fmt::format("{}{} {}", pen_down ? "L" : "M", coord(f.px(s.x[i])),
                             coord(f.py(s.y[i])));
            pen_down = true;
        }
        if (!d.empty())
            svg += fmt::format("<path class=\"series\" d=\"{}\" stroke=\"{}\"{}/>", d,
                               escape_html(colour),
                               s.style == LineStyle::Dashed ? " stroke-dasharray=\"5 3\"" : "");
        legend.push_back(
            {s.label, colour,
             s.style == LineStyle::Dashed ? SwatchKind::DashedLine : SwatchKind::Line});
    }
    if (!plot.events.empty()) {
        const std::string colour = "#d62728";
        std::string d;
        const double base = f.top + f.inner_height();
        for (const double e : plot.events)
            if (std::isfinite(f.px(e)) && e >= f.x_lo && e <= f.x_hi)
                d += fmt::format("M{} {}v-7", coord(f.px(e)), coord(base));
        svg += fmt::format("<path class=\"events\" d=\"{}\" stroke=\"{}\"/>", d, colour);
        legend.push_back({plot.events_label, colour, SwatchKind::Tick});
    }
    svg += "</svg>";
    return figure(plot.id, plot.title, svg, legend, plot.notes);
}

// ---- histograms --------------------------------------------------------------------------

int64_t Histogram::in_range() const { return std::accumulate(counts.begin(), counts.end(), 0L); }

double Histogram::bin_width() const {
    return counts.empty() ? 0.0 : (hi - lo) / static_cast<double>(counts.size());
}

std::vector<double> Histogram::densities() const {
    std::vector<double> d(counts.size(), 0.0);
    const double norm = static_cast<double>(finite()) * bin_width();
    if (norm > 0)
        for (std::size_t i = 0; i < counts.size(); ++i)
            d[i] = static_cast<double>(counts[i]) / norm;
    return d;
}

Histogram make_histogram(const std::vector<double>& values, double lo, double hi, int64_t bins) {
    PITA_CHECK(bins >= 1, "[report] histogram: got {} bins; expected at least 1.", bins);
    PITA_CHECK(std::isfinite(lo) && std::isfinite(hi) && lo < hi,
               "[report] histogram range [{}, {}]: expected finite ends with lo < hi.", lo, hi);
    Histogram h;
    h.lo = lo;
    h.hi = hi;
    h.counts.assign(static_cast<std::size_t>(bins), 0);
    const double scale = static_cast<double>(bins) / (hi - lo);
    for (const double v : values) {
        if (!std::isfinite(v)) {
            ++h.non_finite;
        } else if (v < lo) {
            ++h.below;
        } else if (v > hi) {
            ++h.above;
        } else {
            const auto i = std::min(static_cast<int64_t>((v - lo) * scale), bins - 1);
            ++h.counts[static_cast<std::size_t>(i)];
        }
    }
    return h;
}

std::pair<double, double> histogram_range(const std::vector<std::vector<double>>& sets,
                                          std::optional<std::size_t> anchor) {
    double lo = kNaN, hi = kNaN;
    double allowed_lo = -std::numeric_limits<double>::infinity();
    double allowed_hi = std::numeric_limits<double>::infinity();
    if (anchor && *anchor < sets.size()) {
        const std::vector<double> a = sorted_finite(sets[*anchor]);
        if (!a.empty()) {
            const double a_lo = quantile(a, 0.005), a_hi = quantile(a, 0.995);
            const double w = std::max(a_hi - a_lo, 1e-12 * std::max(1.0, std::abs(a_lo)));
            allowed_lo = a_lo - 2 * w;
            allowed_hi = a_hi + 2 * w;
        }
    }
    for (const std::vector<double>& set : sets) {
        const std::vector<double> v = sorted_finite(set);
        if (v.empty()) continue;
        const double q_lo = std::max(quantile(v, 0.005), allowed_lo);
        const double q_hi = std::min(quantile(v, 0.995), allowed_hi);
        if (q_lo > q_hi) continue;  // wholly outside the anchor's neighbourhood
        lo = std::isnan(lo) ? q_lo : std::min(lo, q_lo);
        hi = std::isnan(hi) ? q_hi : std::max(hi, q_hi);
    }
    if (std::isnan(lo) && std::isfinite(allowed_lo)) {  // only the anchor's neighbourhood
        lo = allowed_lo;
        hi = allowed_hi;
    }
    PlotAxis axis;
    return settle_range(lo, hi, axis, 0.02);
}

std::string render_histogram_plot(const HistogramPlot& plot) {
    std::vector<std::vector<double>> sets;
    for (const HistogramSeries& s : plot.series) sets.push_back(s.values);
    const auto [lo, hi] = histogram_range(sets, plot.anchor);
    Frame f;
    f.width = plot.size.width;
    f.height = plot.size.height;
    std::string svg = svg_open(f.width, f.height, plot.title);
    std::vector<LegendEntry> legend;
    if (!std::isfinite(lo)) {
        svg += no_data(f.width, f.height) + "</svg>";
        for (std::size_t k = 0; k < plot.series.size(); ++k)
            legend.push_back(
                {fmt::format("{} (n = {}, none finite)", plot.series[k].label,
                             plot.series[k].values.size()),
                 plot.series[k].colour.empty() ? series_colour(k) : plot.series[k].colour,
                 SwatchKind::Line});
        return figure(plot.id, plot.title, svg, legend, plot.notes);
    }
    std::vector<Histogram> hists;
    double top = 0;
    for (const HistogramSeries& s : plot.series) {
        hists.push_back(make_histogram(s.values, lo, hi, plot.bins));
        for (const double d : hists.back().densities()) top = std::max(top, d);
    }
    f.x_lo = lo;
    f.x_hi = hi;
    f.y_lo = 0;
    f.y_hi = top > 0 ? top * 1.05 : 1.0;
    svg += f.axes(plot.x_label, "density");
    for (std::size_t k = 0; k < plot.series.size(); ++k) {
        const HistogramSeries& s = plot.series[k];
        const Histogram& h = hists[k];
        const std::string colour = s.colour.empty() ? series_colour(k) : s.colour;
        const std::vector<double> dens = h.densities();
        const double base = f.py(0);
        // The outline of the bars as one path: up and across each bin, down at the end.
        std::string d = fmt::format("M{} {}", coord(f.px(lo)), coord(base));
        for (std::size_t i = 0; i < dens.size(); ++i) {
            const double x_right = lo + h.bin_width() * static_cast<double>(i + 1);
            d += fmt::format("V{}H{}", coord(f.py(dens[i])), coord(f.px(x_right)));
        }
        d += fmt::format("V{}", coord(base));
        if (s.style == HistogramStyle::Filled)
            svg +=
                fmt::format("<path class=\"area\" d=\"{}Z\" fill=\"{}\"/>", d, escape_html(colour));
        else
            svg += fmt::format(
                "<path class=\"series\" d=\"{}\" stroke=\"{}\"{}/>", d, escape_html(colour),
                s.style == HistogramStyle::DashedStep ? " stroke-dasharray=\"5 3\"" : "");
        std::string label =
            s.label + " (" +
            (s.count_label.empty() ? fmt::format("n = {}", s.values.size()) : s.count_label);
        const int64_t outside = h.below + h.above;
        if (outside > 0) {
            label += fmt::format("; {} beyond the axis", outside);
            // Where the bulk went, when most of the set is off the axis.
            if (2 * outside > h.finite())
                label += ", median " + format_number(quantile(sorted_finite(s.values), 0.5));
        }
        if (h.non_finite > 0) label += fmt::format("; {} non-finite", h.non_finite);
        label += ")";
        legend.push_back({label, colour,
                          s.style == HistogramStyle::Filled       ? SwatchKind::Area
                          : s.style == HistogramStyle::DashedStep ? SwatchKind::DashedLine
                                                                  : SwatchKind::Line});
    }
    svg += "</svg>";
    return figure(plot.id, plot.title, svg, legend, plot.notes);
}

// ---- heat maps ---------------------------------------------------------------------------

int64_t Histogram2d::total() const { return std::accumulate(counts.begin(), counts.end(), 0L); }

Histogram2d make_histogram_2d(const std::vector<double>& x, const std::vector<double>& y,
                              double x_lo, double x_hi, double y_lo, double y_hi, int64_t nx,
                              int64_t ny) {
    PITA_CHECK(x.size() == y.size(), "[report] 2-D histogram: {} x values but {} y values.",
               x.size(), y.size());
    PITA_CHECK(nx >= 1 && ny >= 1, "[report] 2-D histogram: got {} × {} cells; expected >= 1.", nx,
               ny);
    PITA_CHECK(x_lo < x_hi && y_lo < y_hi,
               "[report] 2-D histogram: empty range [{}, {}] × [{}, {}].", x_lo, x_hi, y_lo, y_hi);
    Histogram2d h;
    h.x_lo = x_lo;
    h.x_hi = x_hi;
    h.y_lo = y_lo;
    h.y_hi = y_hi;
    h.nx = nx;
    h.ny = ny;
    h.counts.assign(static_cast<std::size_t>(nx * ny), 0);
    for (std::size_t k = 0; k < x.size(); ++k) {
        const double a = x[k], b = y[k];
        if (!(a >= x_lo && a <= x_hi && b >= y_lo && b <= y_hi)) {  // NaN fails too
            ++h.outside;
            continue;
        }
        const auto i = std::min(static_cast<int64_t>((a - x_lo) / (x_hi - x_lo) * nx), nx - 1);
        const auto j = std::min(static_cast<int64_t>((b - y_lo) / (y_hi - y_lo) * ny), ny - 1);
        ++h.counts[static_cast<std::size_t>(j * nx + i)];
    }
    return h;
}

std::string render_heat_maps(const HeatMapPlot& plot) {
    constexpr double kLeft = 50, kGap = 40, kTop = 22, kBottom = 40;
    constexpr int kLevels = 24;  // colours: one path per level keeps the SVG small
    const double size = plot.panel_size;
    const double n = static_cast<double>(plot.panels.size());
    const double width = kLeft + n * size + std::max(0.0, n - 1) * kGap + 10;
    const double height = kTop + size + kBottom;
    std::string svg = svg_open(width, height, plot.title);
    for (std::size_t p = 0; p < plot.panels.size(); ++p) {
        const Histogram2d& h = plot.panels[p].histogram;
        Frame f;
        f.left = kLeft + static_cast<double>(p) * (size + kGap);
        f.top = kTop;
        f.right = width - f.left - size;
        f.bottom = kBottom;
        f.width = width;
        f.height = height;
        f.x_lo = h.x_lo;
        f.x_hi = h.x_hi;
        f.y_lo = h.y_lo;
        f.y_hi = h.y_hi;
        svg += fmt::format("<rect class=\"map-bg\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"/>",
                           coord(f.left), coord(f.top), coord(size), coord(size));
        const int64_t peak =
            h.counts.empty() ? 0 : *std::max_element(h.counts.begin(), h.counts.end());
        std::vector<std::string> paths(kLevels);
        const double cw = size / static_cast<double>(h.nx), ch = size / static_cast<double>(h.ny);
        for (int64_t j = 0; j < h.ny && peak > 0; ++j) {
            for (int64_t i = 0; i < h.nx; ++i) {
                const int64_t c = h.counts[static_cast<std::size_t>(j * h.nx + i)];
                if (c == 0) continue;
                const double v = std::sqrt(static_cast<double>(c) / static_cast<double>(peak));
                const int level = std::min(kLevels - 1, static_cast<int>(v * kLevels));
                // Cell (i, j): y grows upwards, so row j sits above row j - 1.
                paths[static_cast<std::size_t>(level)] +=
                    fmt::format("M{} {}h{}v{}h-{}z", coord(f.left + static_cast<double>(i) * cw),
                                coord(f.top + size - static_cast<double>(j + 1) * ch), coord(cw),
                                coord(ch), coord(cw));
            }
        }
        for (int level = 0; level < kLevels; ++level)
            if (!paths[static_cast<std::size_t>(level)].empty())
                svg += fmt::format("<path d=\"{}\" fill=\"{}\"/>",
                                   paths[static_cast<std::size_t>(level)],
                                   sequential_colour((level + 0.5) / kLevels));
        // Axes: ticks given in data units.
        const std::vector<double> xt =
            plot.x_ticks.empty() ? linear_ticks(h.x_lo, h.x_hi) : plot.x_ticks;
        const std::vector<double> yt =
            plot.y_ticks.empty() ? linear_ticks(h.y_lo, h.y_hi) : plot.y_ticks;
        svg += "<g class=\"axes\">";
        for (const double t : xt)
            svg += fmt::format(
                "<line class=\"tick\" x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\"/>"
                "<text x=\"{0}\" y=\"{3}\" text-anchor=\"middle\">{4}</text>",
                coord(f.px(t)), coord(f.top + size), coord(f.top + size + 4),
                coord(f.top + size + 15), escape_html(format_number(t)));
        if (p == 0)
            for (const double t : yt)
                svg += fmt::format(
                    "<line class=\"tick\" x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\"/>"
                    "<text x=\"{3}\" y=\"{4}\" text-anchor=\"end\">{5}</text>",
                    coord(f.left - 4), coord(f.py(t)), coord(f.left), coord(f.left - 6),
                    coord(f.py(t) + 3.5), escape_html(format_number(t)));
        svg += fmt::format(
            "<rect class=\"frame\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"/>"
            "<text class=\"label\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>"
            "<text class=\"panel\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            coord(f.left), coord(f.top), coord(size), coord(size), coord(f.left + size / 2),
            coord(height - 6), escape_html(plot.x_label), coord(f.left + size / 2), coord(kTop - 7),
            escape_html(plot.panels[p].label));
        if (peak == 0)
            svg += fmt::format(
                "<text class=\"empty\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">no data</text>",
                coord(f.left + size / 2), coord(f.top + size / 2));
        svg += "</g>";
    }
    svg += fmt::format(
        "<text class=\"label\" transform=\"translate(13,{}) rotate(-90)\" "
        "text-anchor=\"middle\">{}</text></svg>",
        coord(kTop + size / 2), escape_html(plot.y_label));
    return figure(plot.id, plot.title, svg, {}, plot.notes);
}

// ---- bar charts --------------------------------------------------------------------------

std::string render_bar_chart(const BarChart& chart) {
    PITA_ASSERT(chart.labels.size() == chart.values.size(), "{} labels but {} values",
                chart.labels.size(), chart.values.size());
    constexpr double kLabel = 110, kValue = 90, kRow = 22, kTop = 6;
    const double width = chart.width;
    const double height = kTop * 2 + kRow * static_cast<double>(chart.values.size());
    const double bar_space = width - kLabel - kValue;
    double peak = 0;
    for (const double v : chart.values)
        if (std::isfinite(v)) peak = std::max(peak, v);
    std::string svg = svg_open(width, height, chart.title);
    for (std::size_t i = 0; i < chart.values.size(); ++i) {
        const double v = chart.values[i];
        const double y = kTop + kRow * static_cast<double>(i);
        const double w = std::isfinite(v) && peak > 0 ? std::max(0.0, v) / peak * bar_space : 0.0;
        svg += fmt::format(
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>"
            "<rect class=\"bar\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"/>"
            "<text x=\"{}\" y=\"{}\">{}{}</text>",
            coord(kLabel - 6), coord(y + 15), escape_html(chart.labels[i]), coord(kLabel),
            coord(y + 4), coord(w), coord(kRow - 8), series_colour(0), coord(kLabel + w + 4),
            coord(y + 15),
            escape_html(std::isfinite(v) && v == std::round(v) && std::abs(v) < 1e15
                            ? fmt::format("{:.0f}", v)
                            : format_number(v, 4)),
            escape_html(chart.value_suffix));
    }
    svg += "</svg>";
    return figure(chart.id, chart.title, svg, {}, chart.notes);
}

}  // namespace pita
