#include "pita/metrics/optimal_transport.h"

#include <cmath>
#include <numeric>

// GCC 12 reports a false -Wmaybe-uninitialized inside LEMON's SmartDigraph::addNode once it is
// inlined here (an empty NodeT pushed into a std::vector); the header is LEMON's, not ours.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <lemon/network_simplex.h>
#include <lemon/smart_graph.h>

#include "pita/core/error.h"

namespace pita {

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

    // Integer supplies: each of the n sources sends m/g units and each of the m sinks takes n/g,
    // so a flow of f units on an arc is a coupling mass f·g/(n·m).
    const int64_t g = std::gcd(n, m);
    lemon::SmartDigraph graph;
    graph.reserveNode(static_cast<int>(n + m));
    graph.reserveArc(static_cast<int>(n * m));
    std::vector<lemon::SmartDigraph::Node> nodes;
    nodes.reserve(static_cast<std::size_t>(n + m));
    for (int64_t k = 0; k < n + m; ++k) nodes.push_back(graph.addNode());
    lemon::SmartDigraph::ArcMap<double> arc_cost(graph);
    for (int64_t i = 0; i < n; ++i)
        for (int64_t j = 0; j < m; ++j)
            arc_cost[graph.addArc(nodes[static_cast<std::size_t>(i)],
                                  nodes[static_cast<std::size_t>(n + j)])] =
                cost[static_cast<std::size_t>(i * m + j)];
    lemon::SmartDigraph::NodeMap<int64_t> supply(graph);
    for (int64_t i = 0; i < n; ++i) supply[nodes[static_cast<std::size_t>(i)]] = m / g;
    for (int64_t j = 0; j < m; ++j) supply[nodes[static_cast<std::size_t>(n + j)]] = -(n / g);

    lemon::NetworkSimplex<lemon::SmartDigraph, int64_t, double> simplex(graph);
    simplex.costMap(arc_cost).supplyMap(supply);
    const auto status = simplex.run();
    PITA_ASSERT(status == decltype(simplex)::OPTIMAL,
                "network simplex returned status {} on a balanced complete bipartite problem",
                static_cast<int>(status));
    return simplex.totalCost<double>() * static_cast<double>(g) / static_cast<double>(n * m);
}
#pragma GCC diagnostic pop

}  // namespace pita
