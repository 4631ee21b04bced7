// Exact optimal transport must terminate on every finite input, quickly, and agree with an
// independent solver (issue 12: LEMON's network simplex on double costs pivoted for minutes on
// the equivariant W2 of 48 LJ-13 samples; LEMON requires integer costs).
#include <chrono>
#include <cmath>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <ATen/ATen.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "pita/core/error.h"
#include "pita/io/npy.h"
#include "pita/metrics/alignment.h"
#include "pita/metrics/assignment.h"
#include "pita/metrics/optimal_transport.h"
#include "pita/metrics/sample_metrics.h"
#include "pita/metrics/wasserstein_1d.h"

namespace pita {
namespace {

using ::testing::HasSubstr;

/// f() if it returns within `limit`, else nullopt. A solver that loops forever must fail the
/// test rather than hang the suite: f runs on a detached thread that owns its inputs (copied
/// into the closure), and a thread still spinning ends with the process.
std::optional<double> within(double limit_seconds, std::function<double()> f) {
    auto result = std::make_shared<std::promise<double>>();
    std::future<double> done = result->get_future();
    std::thread([result, f = std::move(f)] {
        try {
            result->set_value(f());
        } catch (...) {
            result->set_exception(std::current_exception());
        }
    }).detach();
    if (done.wait_for(std::chrono::duration<double>(limit_seconds)) != std::future_status::ready)
        return std::nullopt;
    return done.get();
}

/// Each row of `cost` (n × m) twice: the 2n × m problem has the n × n problem's optimal cost
/// (each copy carries half a source's mass), but goes through the network simplex, not the
/// Hungarian method, so comparing the two checks one solver against the other.
std::vector<double> rows_twice(const std::vector<double>& cost, int64_t n, int64_t m) {
    std::vector<double> out;
    for (int64_t i = 0; i < n; ++i)
        for (int copy = 0; copy < 2; ++copy)
            out.insert(out.end(), cost.begin() + i * m, cost.begin() + (i + 1) * m);
    return out;
}

/// The equivariant W2's cost matrix, |x_i − R·P·y_j|² aligned, row-major [N, M].
std::vector<double> aligned_cost_matrix(const at::Tensor& x, const at::Tensor& y) {
    const at::Tensor a = x.contiguous(), b = y.contiguous();
    const int n = static_cast<int>(a.size(1)), d = static_cast<int>(a.size(2));
    std::vector<double> cost;
    for (int64_t i = 0; i < a.size(0); ++i)
        for (int64_t j = 0; j < b.size(0); ++j)
            cost.push_back(
                aligned_squared_distance(a[i].data_ptr<double>(), b[j].data_ptr<double>(), n, d));
    return cost;
}

TEST(OptimalTransportTermination, EquivariantW2OfFortyEightLennardJonesSamplesFinishes) {
    // The 48 annealed and 48 reference samples at T = 3 that `pita evaluate --seed 2
    // --equivariant-samples 48` drew from a `pita run configs/smoke.yaml anneal.relax_steps=0`
    // directory (tests/fixtures/metrics/README.md): ordinary costs between 8 and 102, on which the
    // double-cost network simplex never stopped. Now ~0.5 s (the alignments; the solve ~1 ms);
    // 30 s leaves room for a sanitizer build and still catches a solver that does not stop.
    const std::string dir = std::string(PITA_SOURCE_DIR) + "/tests/fixtures/metrics/";
    const at::Tensor gen = read_npy(dir + "lj13_t3_annealed_48.npy").to(at::kDouble);
    const at::Tensor ref = read_npy(dir + "lj13_t3_reference_48.npy").to(at::kDouble);
    const std::optional<double> w2 = within(30.0, [gen, ref] { return equivariant_w2(gen, ref); });
    ASSERT_TRUE(w2.has_value()) << "equivariant_w2 did not finish in 30 s";
    EXPECT_TRUE(std::isfinite(*w2) && *w2 > 0) << *w2;

    // The same value from the other exact solver: the 96 × 48 problem with every generated
    // sample twice goes through the (integer) network simplex, the 48 × 48 one through the
    // Hungarian method. Both are exact up to round-off of sums of ~50 costs of ~50 (~1e-13).
    const int64_t n = gen.size(0);
    const std::vector<double> cost = aligned_cost_matrix(gen, ref);
    const std::optional<double> square =
        within(5.0, [cost, n] { return exact_transport_cost(cost, n, n); });
    const std::optional<double> doubled =
        within(5.0, [cost, n] { return exact_transport_cost(rows_twice(cost, n, n), 2 * n, n); });
    ASSERT_TRUE(square.has_value() && doubled.has_value()) << "a solver did not finish in 5 s";
    EXPECT_NEAR(*square, *doubled, 1e-9 * *square);
    EXPECT_NEAR(std::sqrt(*square), *w2, 1e-12 * *w2);
}

TEST(OptimalTransportTermination, DegenerateUnequalProblemsFinishAndMatchTheSortedMatching) {
    // Squared distances between points on a coarse 1-D grid: many exactly tied costs, the
    // degenerate case where simplex pivots can cycle. The exact 1-D W2 (sorted quantile
    // matching, wasserstein_1d) is an independent solver for these costs.
    std::mt19937_64 rng(17);
    std::uniform_int_distribution<int> grid(0, 6);
    for (auto [n, m] : {std::pair<int, int>{48, 64}, {64, 48}, {60, 45}, {97, 31}}) {
        std::vector<double> a(static_cast<std::size_t>(n)), b(static_cast<std::size_t>(m));
        for (double& x : a) x = 0.1 * grid(rng);
        for (double& y : b) y = 0.1 * grid(rng) + 0.05;
        std::vector<double> cost;
        for (double x : a)
            for (double y : b) cost.push_back((x - y) * (x - y));
        const std::optional<double> ot =
            within(5.0, [cost, n = n, m = m] { return exact_transport_cost(cost, n, m); });
        ASSERT_TRUE(ot.has_value()) << n << " × " << m << " did not finish in 5 s";
        const double w2 = wasserstein_1d(a, b, 2.0);
        EXPECT_NEAR(*ot, w2 * w2, 1e-12) << n << " × " << m;
    }
}

TEST(OptimalTransportTermination, TheAssignmentSolverRejectsNonFiniteCostsInsteadOfLooping) {
    // A row with no finite cost left the Hungarian method without a column to advance to, and it
    // spun on the sentinel column forever (reachable from equivariant_w2 through a reference
    // configuration with a NaN coordinate).
    for (double bad : {NAN, INFINITY}) {
        const std::vector<double> cost = {1.0, 2.0, 0.5, bad, bad, bad, 2.0, 1.0, 4.0};
        const std::optional<double> outcome = within(5.0, [cost] {
            try {
                min_cost_assignment(cost, 3);
            } catch (const NumericalError& e) {
                return std::string(e.what()).find("cost entry (1, 0)") != std::string::npos ? 1.0
                                                                                            : 2.0;
            }
            return 0.0;
        });
        ASSERT_TRUE(outcome.has_value()) << "min_cost_assignment did not return in 5 s on " << bad;
        EXPECT_EQ(*outcome, 1.0) << "expected a NumericalError naming entry (1, 0), for " << bad;
    }
    at::Tensor ref = at::randn({4, 13, 3}, at::kDouble);
    ref[2][4][1] = NAN;
    const at::Tensor gen = at::randn({4, 13, 3}, at::kDouble);
    const std::optional<double> outcome = within(5.0, [gen, ref] {
        try {
            equivariant_w2(gen, ref);
        } catch (const NumericalError& e) {
            return std::string(e.what()).find("reference configuration 2") != std::string::npos
                       ? 1.0
                       : 2.0;
        }
        return 0.0;
    });
    ASSERT_TRUE(outcome.has_value()) << "equivariant_w2 did not return in 5 s";
    EXPECT_EQ(*outcome, 1.0) << "expected a NumericalError naming reference configuration 2";
}

}  // namespace
}  // namespace pita
