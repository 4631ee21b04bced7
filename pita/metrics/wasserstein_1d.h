#pragma once
// Exact Wasserstein distances between two one-dimensional empirical distributions.
#include <vector>

namespace pita {

/// W_p between the uniform empirical distributions of `a` and `b` (any sizes, p ≥ 1):
/// (∫₀¹ |F_a⁻¹(u) − F_b⁻¹(u)|^p du)^(1/p), exact, by merging the two sorted quantile functions
/// in O((n + m) log(n + m)). For equal sizes this is (mean |sort(a) − sort(b)|^p)^(1/p), which
/// is what POT's emd2_1d returns (spec §7).
/// @throws ConfigError for an empty sample or p < 1, NumericalError for a NaN or infinity
double wasserstein_1d(std::vector<double> a, std::vector<double> b, double p);

}  // namespace pita
