#include "pita/report/svg.h"

#include <algorithm>
#include <array>
#include <cmath>

#include <fmt/format.h>

namespace pita {

std::string escape_html(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&quot;";
                break;
            case '\'':
                out += "&#39;";
                break;
            default:
                if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r')
                    out += "\xEF\xBF\xBD";  // U+FFFD: control characters are not valid HTML
                else
                    out += c;
        }
    }
    return out;
}

std::string format_number(double value, int significant) {
    if (std::isnan(value)) return "NaN";
    if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
    if (value == 0) return "0";
    const double magnitude = std::abs(value);
    if (magnitude >= 1e5 || magnitude < 1e-3) {
        // Exponent form without trailing zeros in the mantissa: "1e-04", "2.5e+07".
        std::string s = fmt::format("{:.{}e}", value, significant - 1);
        const std::size_t e = s.find('e');
        std::size_t end = e;
        while (end > 0 && s[end - 1] == '0') --end;
        if (end > 0 && s[end - 1] == '.') --end;
        return s.substr(0, end) + s.substr(e);
    }
    // Whole numbers of more digits than `significant` print in full ("12345", not "1.23e+04").
    if (magnitude >= std::pow(10.0, significant)) return fmt::format("{:.0f}", value);
    return fmt::format("{:.{}g}", value, significant);
}

std::vector<double> linear_ticks(double lo, double hi, int target) {
    if (!std::isfinite(lo) || !std::isfinite(hi) || hi < lo) return {};
    if (lo == hi) return {lo};
    const double raw = (hi - lo) / std::max(target, 1);
    const double power = std::pow(10.0, std::floor(std::log10(raw)));
    double step = power;
    for (const double m : {1.0, 2.0, 5.0, 10.0}) {
        step = m * power;
        if (step >= raw) break;
    }
    std::vector<double> ticks;
    const double first = std::ceil(lo / step - 1e-9) * step;
    for (int k = 0;; ++k) {
        double t = first + k * step;
        if (t > hi + step * 1e-9) break;
        if (std::abs(t) < step * 1e-9) t = 0;  // no "-0" or "1e-17"
        ticks.push_back(t);
    }
    if (ticks.size() < 2) ticks = {lo, hi};
    return ticks;
}

std::vector<double> log_ticks(double lo, double hi, int target) {
    if (!(lo > 0) || !std::isfinite(hi) || hi < lo) return linear_ticks(lo, hi, target);
    const int first = static_cast<int>(std::ceil(std::log10(lo) - 1e-9));
    const int last = static_cast<int>(std::floor(std::log10(hi) + 1e-9));
    if (last - first + 1 < 2) return linear_ticks(lo, hi, target);
    const int stride = std::max(1, (last - first + target) / std::max(target, 1));
    std::vector<double> ticks;
    for (int p = first; p <= last; p += stride) ticks.push_back(std::pow(10.0, p));
    return ticks;
}

std::string sequential_colour(double value) {
    // From near-white to dark blue (ColorBrewer "Blues"), interpolated linearly in RGB: sparse
    // cells stay pale, so a few stray samples do not draw the eye.
    static constexpr std::array<std::array<double, 3>, 6> kStops = {{{222, 235, 247},
                                                                     {158, 202, 225},
                                                                     {107, 174, 214},
                                                                     {49, 130, 189},
                                                                     {8, 81, 156},
                                                                     {8, 38, 94}}};
    const double v = std::isfinite(value) ? std::clamp(value, 0.0, 1.0) : 0.0;
    const double s = v * (kStops.size() - 1);
    const auto i = std::min(static_cast<std::size_t>(s), kStops.size() - 2);
    const double f = s - static_cast<double>(i);
    std::array<int, 3> rgb{};
    for (std::size_t c = 0; c < 3; ++c)
        rgb[c] =
            static_cast<int>(std::lround(kStops[i][c] + f * (kStops[i + 1][c] - kStops[i][c])));
    return fmt::format("#{:02x}{:02x}{:02x}", rgb[0], rgb[1], rgb[2]);
}

std::string series_colour(std::size_t index) {
    static constexpr std::array<const char*, 8> kColours = {
        "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf"};
    return kColours[index % kColours.size()];
}

}  // namespace pita
