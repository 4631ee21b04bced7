#pragma once
// Rigid alignment of two particle configurations over permutations and rotations.
namespace pita {

/// An approximation of min over particle permutations P and proper rotations R of |x − R·P·y|²,
/// for two configurations of n identical particles (row-major [n, d], d = 2 or 3), both centred
/// first. Alternates Hungarian matching on squared distances and Kabsch (as spec §8 suggests),
/// until the permutation repeats or `max_rounds` rounds, from 1 + 2^(d−1) starts: y turned by
/// the Kabsch rotation of the matching of the particles' sorted-distance signatures (invariant
/// descriptors), and y turned so that its principal axes lie on x's, for every proper choice of
/// axis signs. The starts turn with y,
/// so the result is invariant to rotating either input. Returns the smallest squared distance
/// found: an upper bound on the true minimum, equal to it for a noisy rotated, permuted copy
/// (tested). Proper rotations only (det R = +1); the reference's unused `eot` allowed
/// reflections.
double aligned_squared_distance(const double* x, const double* y, int n, int d, int max_rounds = 6);

}  // namespace pita
