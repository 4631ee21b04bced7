#include "pita/metrics/assignment.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>

#include "pita/core/error.h"

namespace pita {

// Shortest augmenting paths with row and column potentials u, v (reduced costs C − u − v ≥ 0).
// Rows are inserted one at a time; index 0 is a sentinel column holding the row being inserted,
// and rows and columns are 1-based.
//
// Termination: each pass of the inner loop marks one more column used and stops at a free one,
// so a row costs at most n passes — provided every unused column has a finite reduced cost to
// advance to. A row of NaN or ∞ costs has none: col1 stayed the sentinel 0 and the loop spun on
// it forever. Hence the finiteness check up front (O(n²) against the O(n³) solve) and the
// assertion in the loop.
std::vector<int> min_cost_assignment(const std::vector<double>& cost, int n_int) {
    const auto n = static_cast<std::size_t>(n_int);
    PITA_CHECK(n_int >= 0 && cost.size() == n * n,
               "[metrics] assignment: the cost matrix has {} entries; expected {} × {}.",
               cost.size(), n_int, n_int);
    for (std::size_t k = 0; k < cost.size(); ++k)
        PITA_CHECK_AS(NumericalError, std::isfinite(cost[k]),
                      "[metrics] assignment: cost entry ({}, {}) is {}; expected a finite cost.",
                      k / n, k % n, cost[k]);
    const double inf = std::numeric_limits<double>::infinity();
    std::vector<double> u(n + 1, 0.0);
    std::vector<double> v(n + 1, 0.0);
    std::vector<std::size_t> row_of(n + 1, 0);  // column → matched row, 0 = free
    std::vector<std::size_t> way(n + 1, 0);
    std::vector<double> min_to(n + 1);
    std::vector<char> used(n + 1);
    for (std::size_t row = 1; row <= n; ++row) {
        row_of[0] = row;
        std::size_t col0 = 0;
        std::fill(min_to.begin(), min_to.end(), inf);
        std::fill(used.begin(), used.end(), 0);
        do {
            used[col0] = 1;
            const std::size_t r = row_of[col0];
            double delta = inf;
            std::size_t col1 = 0;
            for (std::size_t col = 1; col <= n; ++col) {
                if (used[col]) continue;
                const double reduced = cost[(r - 1) * n + (col - 1)] - u[r] - v[col];
                if (reduced < min_to[col]) {
                    min_to[col] = reduced;
                    way[col] = col0;
                }
                if (min_to[col] < delta) {
                    delta = min_to[col];
                    col1 = col;
                }
            }
            for (std::size_t col = 0; col <= n; ++col) {
                if (used[col]) {
                    u[row_of[col]] += delta;
                    v[col] -= delta;
                } else {
                    min_to[col] -= delta;
                }
            }
            PITA_ASSERT(col1 != 0, "assignment: no column reachable from row {} (reduced costs {})",
                        row, delta);
            col0 = col1;
        } while (row_of[col0] != 0);
        do {  // augment along the recorded path
            const std::size_t prev = way[col0];
            row_of[col0] = row_of[prev];
            col0 = prev;
        } while (col0 != 0);
    }
    std::vector<int> assignment(n, -1);
    for (std::size_t col = 1; col <= n; ++col)
        assignment[row_of[col] - 1] = static_cast<int>(col - 1);
    return assignment;
}

}  // namespace pita
