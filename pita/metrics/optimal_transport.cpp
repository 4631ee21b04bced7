#include "pita/metrics/optimal_transport.h"

#include <algorithm>
#include <cmath>
#include <numeric>

// GCC 12 reports a false -Wmaybe-uninitialized inside LEMON's SmartDigraph::addNode once it is
// inlined here (an empty NodeT pushed into a std::vector); the header is LEMON's, not ours.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <lemon/network_simplex.h>
#include <lemon/smart_graph.h>

#include "pita/core/error.h"
#include "pita/metrics/assignment.h"

namespace pita {
namespace {

/// n = m: with uniform weights some optimal coupling is a permutation (Birkhoff), so the
/// transport problem is an assignment problem, solved exactly by the Hungarian method. Its loops
/// are bounded (n augmentations of at most n steps each) whatever the rounding.
double equal_size_cost(const std::vector<double>& cost, int64_t n) {
    const std::vector<int> p = min_cost_assignment(cost, static_cast<int>(n));
    double total = 0;
    for (int64_t i = 0; i < n; ++i)
        total += cost[static_cast<std::size_t>(i * n + p[static_cast<std::size_t>(i)])];
    return total / static_cast<double>(n);
}

/// The largest integer cost magnitude LEMON's int64 network simplex can take on a graph of
/// `nodes` nodes without overflow. With int64 costs LEMON prices its artificial arcs at
/// ART = 2^62; a node potential is ±ART plus the costs along a tree path (at most `nodes` arcs)
/// and a reduced cost c + π_u − π_v adds one more arc and one potential difference, so
/// |cost| ≤ 2^61 / (2·nodes + 1) keeps every intermediate below 2^62 + 2^61 < 2^63.
int64_t max_integer_cost(int64_t nodes) { return (int64_t{1} << 61) / (2 * nodes + 1); }

/// n ≠ m: LEMON's network simplex on integer costs. LEMON requires integer data
/// (network_simplex.h: "All input data ... must be integer"): its leaving-arc rule keeps the
/// spanning tree strongly feasible (Cunningham), which guarantees termination only under exact
/// arithmetic. With double costs a reduced cost of −1e-16 from round-off can make it pivot
/// forever on degenerate problems, which uniform marginals are (issue 12: equivariant W2 at 48
/// samples ran for minutes). So the costs are scaled and rounded to int64, at most
/// max_integer_cost (~5e14 for n + m = 2000, a relative rounding of 1e-15 of the largest cost);
/// the plan found is optimal for the rounded costs, hence within largest/top of optimal for the
/// true ones (c/largest first, so tiny costs cannot overflow the scale), and its cost is summed
/// from the true double costs.
double unequal_size_cost(const std::vector<double>& cost, int64_t n, int64_t m) {
    double largest = 0;
    for (double c : cost) largest = std::max(largest, std::abs(c));
    if (largest == 0) return 0.0;
    const double top = static_cast<double>(max_integer_cost(n + m));

    // Integer supplies: each of the n sources sends m/g units and each of the m sinks takes n/g,
    // so a flow of f units on an arc is a coupling mass f·g/(n·m).
    const int64_t g = std::gcd(n, m);
    lemon::SmartDigraph graph;
    graph.reserveNode(static_cast<int>(n + m));
    graph.reserveArc(static_cast<int>(n * m));
    std::vector<lemon::SmartDigraph::Node> nodes;
    nodes.reserve(static_cast<std::size_t>(n + m));
    for (int64_t k = 0; k < n + m; ++k) nodes.push_back(graph.addNode());
    lemon::SmartDigraph::ArcMap<int64_t> arc_cost(graph);
    std::vector<lemon::SmartDigraph::Arc> arcs;
    arcs.reserve(cost.size());
    for (int64_t i = 0; i < n; ++i)
        for (int64_t j = 0; j < m; ++j) {
            const auto arc = graph.addArc(nodes[static_cast<std::size_t>(i)],
                                          nodes[static_cast<std::size_t>(n + j)]);
            arc_cost[arc] = std::llround(cost[static_cast<std::size_t>(i * m + j)] / largest * top);
            arcs.push_back(arc);
        }
    lemon::SmartDigraph::NodeMap<int64_t> supply(graph);
    for (int64_t i = 0; i < n; ++i) supply[nodes[static_cast<std::size_t>(i)]] = m / g;
    for (int64_t j = 0; j < m; ++j) supply[nodes[static_cast<std::size_t>(n + j)]] = -(n / g);

    lemon::NetworkSimplex<lemon::SmartDigraph, int64_t, int64_t> simplex(graph);
    simplex.costMap(arc_cost).supplyMap(supply);
    const auto status = simplex.run();
    PITA_ASSERT(status == decltype(simplex)::OPTIMAL,
                "network simplex returned status {} on a balanced complete bipartite problem",
                static_cast<int>(status));
    double total = 0;
    for (std::size_t k = 0; k < arcs.size(); ++k)
        if (const int64_t f = simplex.flow(arcs[k]); f != 0)
            total += static_cast<double>(f) * cost[k];
    return total * static_cast<double>(g) / static_cast<double>(n * m);
}

}  // namespace

double exact_transport_cost(const std::vector<double>& cost, int64_t n, int64_t m) {
    PITA_CHECK(n > 0 && m > 0,
               "[metrics] optimal transport between {} and {} points: both "
               "sides need at least one point.",
               n, m);
    PITA_CHECK(static_cast<int64_t>(cost.size()) == n * m,
               "[metrics] optimal transport: the cost matrix has {} entries; expected {} × {}.",
               cost.size(), n, m);
    for (std::size_t k = 0; k < cost.size(); ++k)
        PITA_CHECK_AS(NumericalError, std::isfinite(cost[k]),
                      "[metrics] optimal transport: cost entry ({}, {}) is {}.",
                      static_cast<int64_t>(k) / m, static_cast<int64_t>(k) % m, cost[k]);
    return n == m ? equal_size_cost(cost, n) : unequal_size_cost(cost, n, m);
}
#pragma GCC diagnostic pop

}  // namespace pita
