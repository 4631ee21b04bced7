#pragma once
// Time-lagged independent component analysis (TICA) and the TICA-W1/W2 metric of peptide samples
// (issue 14; PITA-SPEC §7, "TICA"): fit the slowest linear combinations of the features on the
// reference's time series, project reference and generated samples onto the two leading ones
// (TIC0, TIC1), and compare the two 2-D point sets by exact optimal transport. The slow
// coordinates are the ones that tell metastable states apart (for ALDP, φ < 0 against φ > 0), so
// the metric weighs state populations, which the energy and distance metrics barely see.
//
// The reference (components/tica.py) uses deeptime's TICA with Koopman reweighting on randomly
// drawn samples, which are no time series, and its metric is dead code; its sister repository fits
// on a trajectory (lag 100 frames, 2 components). Ours is a documented choice, in tica.cpp.
#include <cstdint>
#include <vector>

#include "pita/core/tensor_fwd.h"

namespace pita {

/// A fitted TICA: TIC_k(f) = (f − mean) · components[k], k = 0..K−1, slowest first.
struct TicaModel {
    std::vector<double> mean;                     ///< [d] feature means of the fitting data
    std::vector<std::vector<double>> components;  ///< K × [d]
    std::vector<double> eigenvalues;              ///< K lagged autocorrelations, descending
    int64_t lag = 0;                              ///< frames
    int64_t pairs = 0;                            ///< time-lagged pairs the fit used
    double regularisation = 0;                    ///< ε·trace(C0)/d added to C0's diagonal
};

/// Fits TICA on `chains` interleaved time series: row chains·f + c is frame f of chain c (the
/// layout of the shipped references, data/aldp/README.md), frames equally spaced.
/// @param features    [chains·frames, d], float64 (e.g. peptide_features())
/// @param chains      >= 1, must divide the row count
/// @param lag         in frames, >= 1 and < frames
/// @param components  K, 1 <= K <= d
/// @throws ConfigError for bad shapes or arguments, NumericalError for non-finite features
TicaModel fit_tica(const at::Tensor& features, int64_t chains, int64_t lag, int64_t components = 2);

/// The TICs of `features` ([N, d]): [N, K] float64.
at::Tensor project_tica(const TicaModel& model, const at::Tensor& features);

/// W1 and W2 between two sets of points (e.g. TIC0/TIC1), exact optimal transport with
/// Euclidean costs (W1) and squared Euclidean costs (W2, the square root of the optimal cost).
struct TicaDistances {
    double w1 = 0;
    double w2 = 0;
};

/// @param a, b  [N, k], [M, k] float64, finite; the caller subsamples (cost O(n³) for N = M)
TicaDistances tica_distances(const at::Tensor& a, const at::Tensor& b);

}  // namespace pita
