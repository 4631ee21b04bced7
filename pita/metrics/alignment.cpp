#include "pita/metrics/alignment.h"

#include <algorithm>
#include <limits>
#include <vector>

#include <Eigen/Dense>

#include "pita/core/error.h"
#include "pita/metrics/assignment.h"

namespace pita {
namespace {

using Points = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

Points centred(const double* p, int n, int d) {
    Points m = Eigen::Map<const Points>(p, n, d);
    m.rowwise() -= m.colwise().mean();
    return m;
}

/// The proper rotation R minimising |x − y·Rᵀ|² for matched rows (Kabsch).
Eigen::MatrixXd kabsch(const Points& x, const Points& y) {
    const Eigen::MatrixXd h = y.transpose() * x;  // d × d
    Eigen::JacobiSVD<Eigen::MatrixXd> svd(h, Eigen::ComputeFullU | Eigen::ComputeFullV);
    Eigen::MatrixXd correction = Eigen::MatrixXd::Identity(h.rows(), h.cols());
    if ((svd.matrixV() * svd.matrixU().transpose()).determinant() < 0)
        correction(h.rows() - 1, h.cols() - 1) = -1.0;
    return svd.matrixV() * correction * svd.matrixU().transpose();
}

/// Principal axes as columns, sorted by eigenvalue, made a proper rotation.
Eigen::MatrixXd principal_axes(const Points& p) {
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(p.transpose() * p);
    Eigen::MatrixXd axes = eig.eigenvectors();
    if (axes.determinant() < 0) axes.col(0) *= -1.0;
    return axes;
}

/// Each particle's sorted distances to all others: a rotation- and permutation-invariant
/// descriptor, [n, n − 1].
Eigen::MatrixXd distance_signatures(const Points& p) {
    const auto n = p.rows();
    Eigen::MatrixXd sig(n, std::max<Eigen::Index>(n - 1, 1));
    sig.setZero();
    std::vector<double> row;
    for (Eigen::Index i = 0; i < n; ++i) {
        row.clear();
        for (Eigen::Index j = 0; j < n; ++j)
            if (j != i) row.push_back((p.row(i) - p.row(j)).norm());
        std::sort(row.begin(), row.end());
        for (std::size_t k = 0; k < row.size(); ++k) sig(i, static_cast<Eigen::Index>(k)) = row[k];
    }
    return sig;
}

/// The proper rotation that best superimposes y on x under the matching of their distance
/// signatures: a start that is right whenever y is a slightly noisy copy of x.
Eigen::MatrixXd signature_rotation(const Points& x, const Points& y) {
    const int n = static_cast<int>(x.rows());
    const Eigen::MatrixXd sx = distance_signatures(x);
    const Eigen::MatrixXd sy = distance_signatures(y);
    std::vector<double> cost(static_cast<std::size_t>(n) * static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i)
        for (int j = 0; j < n; ++j)
            cost[static_cast<std::size_t>(i * n + j)] = (sx.row(i) - sy.row(j)).squaredNorm();
    const std::vector<int> perm = min_cost_assignment(cost, n);
    Points matched(n, x.cols());
    for (int i = 0; i < n; ++i) matched.row(i) = y.row(perm[static_cast<std::size_t>(i)]);
    return kabsch(x, matched);
}

double alternate(const Points& x, Points y, int max_rounds) {
    const int n = static_cast<int>(x.rows());
    std::vector<double> cost(static_cast<std::size_t>(n) * static_cast<std::size_t>(n));
    std::vector<int> perm;
    double best = std::numeric_limits<double>::infinity();
    for (int round = 0; round < max_rounds; ++round) {
        for (int i = 0; i < n; ++i)
            for (int j = 0; j < n; ++j)
                cost[static_cast<std::size_t>(i * n + j)] = (x.row(i) - y.row(j)).squaredNorm();
        std::vector<int> next = min_cost_assignment(cost, n);
        Points matched(n, x.cols());
        for (int i = 0; i < n; ++i) matched.row(i) = y.row(next[static_cast<std::size_t>(i)]);
        const Eigen::MatrixXd r = kabsch(x, matched);
        const Points turned = matched * r.transpose();
        best = std::min(best, (x - turned).squaredNorm());
        if (next == perm) break;
        perm = std::move(next);
        y = y * r.transpose();  // keep the rows in their own order: only the rotation carries on
    }
    return best;
}

}  // namespace

double aligned_squared_distance(const double* x_ptr, const double* y_ptr, int n, int d,
                                int max_rounds) {
    PITA_CHECK(d == 2 || d == 3, "[metrics] alignment: spatial dimension {}; expected 2 or 3.", d);
    const Points x = centred(x_ptr, n, d);
    const Points y = centred(y_ptr, n, d);
    // Starts: the distance-signature matching, then y's principal axes turned onto x's for each
    // proper choice of axis signs. Every start turns with y, so the result does not depend on
    // y's orientation.
    double best = alternate(x, y * signature_rotation(x, y).transpose(), max_rounds);
    const Eigen::MatrixXd ax = principal_axes(x);
    const Eigen::MatrixXd ay = principal_axes(y);
    const int n_signs = 1 << (d - 1);
    for (int s = 0; s < n_signs; ++s) {
        Eigen::VectorXd signs = Eigen::VectorXd::Ones(d);
        for (int k = 0; k < d - 1; ++k)
            if (s & (1 << k)) signs(k) = -1.0;
        signs(d - 1) = signs.head(d - 1).prod();  // keep det = +1
        const Eigen::MatrixXd r = ax * signs.asDiagonal() * ay.transpose();
        best = std::min(best, alternate(x, y * r.transpose(), max_rounds));
    }
    return best;
}

}  // namespace pita
