#pragma once
// Exact discrete optimal transport between two uniform empirical distributions.
#include <cstdint>
#include <vector>

namespace pita {

/// min over couplings π with uniform marginals (1/n per row, 1/m per column) of Σ π_ij C_ij, for
/// a row-major n × m cost matrix, solved exactly: for n = m by the Hungarian method (an optimal
/// coupling is then a permutation), otherwise by LEMON's network simplex (the algorithm behind
/// POT's emd, which the reference calls) on costs rounded to int64 at a relative 1e-15 of the
/// largest, so that it terminates; the plan's cost is summed from the double costs. Both stop on
/// every finite input. Cost: about a second for n = m = 1000 on one core.
/// @throws ConfigError on a size mismatch or an empty side, NumericalError on a non-finite cost
double exact_transport_cost(const std::vector<double>& cost, int64_t n, int64_t m);

}  // namespace pita
