#pragma once
// Small building blocks of hand-written SVG for the run report (pita/report/plots.h): text
// escaping, number labels, axis ticks, colours. No LibTorch here.
#include <string>
#include <string_view>
#include <vector>

namespace pita {

/// Text safe inside HTML/SVG element content and quoted attribute values: & < > " ' become
/// entities. Bytes below 0x20 other than tab, newline and carriage return become U+FFFD (they
/// are not allowed in HTML); everything else (UTF-8 included) passes unchanged.
std::string escape_html(std::string_view text);

/// A short label for a number: up to `significant` significant digits, exponent notation
/// outside [1e-3, 1e5) ("2.5e+05", "1e-04"), "0" for zero, and "NaN", "inf", "-inf" for non-finite
/// values.
std::string format_number(double value, int significant = 3);

/// Tick positions on a linear axis: round numbers (1, 2 or 5 × 10^k apart) inside [lo, hi],
/// about `target` of them (at least two when lo < hi). Empty when lo or hi is not finite;
/// {lo} when lo == hi.
std::vector<double> linear_ticks(double lo, double hi, int target = 5);

/// Tick positions on a log axis: the powers of ten inside [lo, hi] (lo > 0), thinned to at most
/// about `target`; when fewer than two powers fall inside, linear_ticks(lo, hi) instead.
std::vector<double> log_ticks(double lo, double hi, int target = 6);

/// A colour of the sequential map (pale to dark blue) for `value` in [0, 1] (clamped; NaN is 0),
/// "#rrggbb".
std::string sequential_colour(double value);

/// The report's series colours, in order (blue, orange, green, red, purple, ...); cycles.
std::string series_colour(std::size_t index);

}  // namespace pita
