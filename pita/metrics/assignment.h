#pragma once
// Minimum-cost perfect matching of a small square cost matrix (the Hungarian method).
#include <vector>

namespace pita {

/// The permutation p minimising Σ_i C[i][p[i]] for a row-major n × n cost matrix, in O(n³)
/// (Kuhn–Munkres with potentials). Used inside the equivariant W2, where it matches the 13 atoms
/// of one pair of LJ-13 configurations and runs once per pair (10⁵–10⁶ times): a general
/// min-cost-flow library call costs more in graph set-up than this solve does in total. The large
/// transport problems go through LEMON (optimal_transport.h).
/// @throws NumericalError on a non-finite cost (on which the method would not terminate)
std::vector<int> min_cost_assignment(const std::vector<double>& cost, int n);

}  // namespace pita
