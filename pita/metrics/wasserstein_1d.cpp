#include "pita/metrics/wasserstein_1d.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "pita/core/error.h"

namespace pita {
namespace {

void check_sample(const std::vector<double>& v, const char* name) {
    PITA_CHECK(!v.empty(), "[metrics] wasserstein_1d: the sample '{}' is empty.", name);
    const auto bad = std::find_if(v.begin(), v.end(), [](double x) { return !std::isfinite(x); });
    PITA_CHECK_AS(NumericalError, bad == v.end(),
                  "[metrics] wasserstein_1d: the sample '{}' holds a non-finite value at index "
                  "{}; drop non-finite values (and report how many) before comparing.",
                  name, bad - v.begin());
}

}  // namespace

double wasserstein_1d(std::vector<double> a, std::vector<double> b, double p) {
    PITA_CHECK(p >= 1, "[metrics] wasserstein_1d: p = {}; expected p ≥ 1.", p);
    check_sample(a, "a");
    check_sample(b, "b");
    std::sort(a.begin(), a.end());
    std::sort(b.begin(), b.end());
    const auto n = static_cast<int64_t>(a.size());
    const auto m = static_cast<int64_t>(b.size());
    // Walk the merged breakpoints i/n and j/m of the two quantile functions. The comparisons are
    // done in integers ((i+1)·m vs (j+1)·n) so that coinciding breakpoints advance both together.
    double cost = 0.0;
    int64_t i = 0;
    int64_t j = 0;
    int64_t u = 0;  // current position, in units of 1/(n·m)
    while (i < n && j < m) {
        const int64_t next_a = (i + 1) * m;
        const int64_t next_b = (j + 1) * n;
        const int64_t next = std::min(next_a, next_b);
        cost += static_cast<double>(next - u) * std::pow(std::abs(a[i] - b[j]), p);
        u = next;
        if (next_a == next) ++i;
        if (next_b == next) ++j;
    }
    return std::pow(cost / static_cast<double>(n * m), 1.0 / p);
}

}  // namespace pita
