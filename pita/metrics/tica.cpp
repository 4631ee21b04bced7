#include "pita/metrics/tica.h"

#include <algorithm>
#include <cmath>

#include <ATen/ATen.h>
#include <Eigen/Dense>

#include "pita/core/error.h"
#include "pita/metrics/optimal_transport.h"

namespace pita {
namespace {

using RowMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// C0's diagonal gets ε·trace(C0)/d: C0 is close to singular for the peptide features (28
/// distances of 8 atoms have 18 internal degrees of freedom, so 10 combinations move only at
/// second order), and the generalised eigensolver needs it positive definite. 1e-8 of the mean
/// variance leaves every direction with real variance alone.
constexpr double kRegularisation = 1e-8;

}  // namespace

// The estimator. The reference samples are equilibrium data: each chain of a replica-exchange
// run is a Markov chain in equilibrium at its bath's temperature (a chain index follows the
// bath, not one replica's physical trajectory: exchanges swap configurations between baths), so
// frame f and frame f + lag of one chain are a time-lagged pair of that chain, and no Koopman
// reweighting is needed (that corrects for trajectories started out of equilibrium). The
// reversible (symmetrised) estimator, as deeptime's with `reversible=True`:
//   pairs (a_t, b_t) = (x(f, c), x(f + lag, c)) over every chain c and frame f,
//   mean = the mean of all a and b, centred a, b;
//   C0 = (Σ a aᵀ + Σ b bᵀ)/(2n),  Cτ = (Σ a bᵀ + Σ b aᵀ)/(2n).
// Then C0 − Cτ = Σ (a − b)(a − b)ᵀ/(2n) is positive semi-definite (and so is C0 + Cτ), which
// bounds every eigenvalue of Cτ v = λ C0 v to [−1, 1] even for noise directions. The leading
// eigenvectors, normalised to vᵀ C0 v = 1 (unit variance of each TIC on the fitting data), are
// the TICs; λ_k is TIC_k's autocorrelation at the lag, its implied timescale −lag/ln λ_k.
TicaModel fit_tica(const at::Tensor& features, int64_t chains, int64_t lag, int64_t components) {
    PITA_CHECK(features.dim() == 2 && features.size(0) > 0 && features.size(1) > 0,
               "[tica] features: got {} dimensions; expected [rows, d] with rows, d >= 1.",
               features.dim());
    const int64_t rows = features.size(0);
    const int64_t d = features.size(1);
    PITA_CHECK(chains >= 1 && rows % chains == 0,
               "[tica] chains: got {} for {} rows; expected a divisor of the row count (row "
               "chains·f + c is frame f of chain c).",
               chains, rows);
    const int64_t frames = rows / chains;
    PITA_CHECK(lag >= 1 && lag < frames,
               "[tica] lag: got {} frames; expected 1 <= lag < {} (the frames per chain).", lag,
               frames);
    PITA_CHECK(components >= 1 && components <= d,
               "[tica] components: got {}; expected 1 to {} (the feature count).", components, d);
    const at::Tensor f = features.to(at::kCPU, at::kDouble).contiguous();
    PITA_CHECK_AS(NumericalError, at::isfinite(f).all().item<bool>(),
                  "[tica] features: non-finite values in the fitting data.");
    const Eigen::Map<const RowMatrix> all(f.data_ptr<double>(), rows, d);
    // Frames 0..frames − lag − 1 start a pair, lag..frames − 1 end one; the row blocks are
    // contiguous because rows are frame-major.
    const int64_t n = (frames - lag) * chains;
    const auto a = all.topRows(n);
    const auto b = all.bottomRows(n);
    const Eigen::RowVectorXd mean = (a.colwise().sum() + b.colwise().sum()) / (2.0 * n);
    const RowMatrix ac = a.rowwise() - mean;
    const RowMatrix bc = b.rowwise() - mean;
    Eigen::MatrixXd c0 = (ac.transpose() * ac + bc.transpose() * bc) / (2.0 * n);
    const Eigen::MatrixXd ab = ac.transpose() * bc / static_cast<double>(n);
    const Eigen::MatrixXd ct = (ab + ab.transpose()) / 2.0;
    const double eps = kRegularisation * c0.trace() / static_cast<double>(d);
    c0.diagonal().array() += eps;

    const Eigen::GeneralizedSelfAdjointEigenSolver<Eigen::MatrixXd> solver(ct, c0);
    PITA_CHECK_AS(NumericalError, solver.info() == Eigen::Success,
                  "[tica] the generalised eigenproblem Cτ v = λ C0 v did not converge ({} "
                  "features, {} pairs).",
                  d, n);
    TicaModel model;
    model.mean.assign(mean.data(), mean.data() + d);
    model.lag = lag;
    model.pairs = n;
    model.regularisation = eps;
    // Eigen sorts ascending: the slowest are last.
    for (int64_t k = 0; k < components; ++k) {
        const Eigen::Index col = d - 1 - k;
        Eigen::VectorXd v = solver.eigenvectors().col(col);
        // The sign is arbitrary: make the largest |coefficient| positive, so refits agree.
        Eigen::Index largest = 0;
        v.cwiseAbs().maxCoeff(&largest);
        if (v(largest) < 0) v = -v;
        model.components.emplace_back(v.data(), v.data() + d);
        model.eigenvalues.push_back(solver.eigenvalues()(col));
    }
    return model;
}

at::Tensor project_tica(const TicaModel& model, const at::Tensor& features) {
    const auto d = static_cast<int64_t>(model.mean.size());
    PITA_CHECK(features.dim() == 2 && features.size(1) == d,
               "[tica] project: got features of {} dimensions and {} columns; expected [N, {}].",
               features.dim(), features.dim() == 2 ? features.size(1) : 0, d);
    const auto k = static_cast<int64_t>(model.components.size());
    std::vector<double> w;
    w.reserve(static_cast<std::size_t>(d * k));
    for (const auto& c : model.components) w.insert(w.end(), c.begin(), c.end());
    const at::Tensor weights = at::tensor(w, at::kDouble).view({k, d});
    const at::Tensor mean = at::tensor(model.mean, at::kDouble);
    return at::matmul(features.to(at::kCPU, at::kDouble) - mean, weights.t());
}

TicaDistances tica_distances(const at::Tensor& a, const at::Tensor& b) {
    PITA_CHECK(
        a.dim() == 2 && b.dim() == 2 && a.size(1) == b.size(1) && a.size(0) > 0 && b.size(0) > 0,
        "[tica] distances: got point sets of {} and {} dimensions; expected [N, k] and "
        "[M, k], N, M >= 1.",
        a.dim(), b.dim());
    const at::Tensor x = a.to(at::kCPU, at::kDouble);
    const at::Tensor y = b.to(at::kCPU, at::kDouble);
    const at::Tensor sq = (x.unsqueeze(1) - y.unsqueeze(0)).pow(2).sum(2).contiguous();
    const at::Tensor eu = sq.sqrt().contiguous();
    auto as_vector = [](const at::Tensor& t) {
        return std::vector<double>(t.data_ptr<double>(), t.data_ptr<double>() + t.numel());
    };
    TicaDistances out;
    out.w1 = exact_transport_cost(as_vector(eu), x.size(0), y.size(0));
    out.w2 = std::sqrt(std::max(0.0, exact_transport_cost(as_vector(sq), x.size(0), y.size(0))));
    return out;
}

}  // namespace pita
