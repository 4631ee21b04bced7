// NonbondedForce + OBC generalized Born fused over the pairs of one configuration; see
// pair_kernel_impl.h. The per-pair formulas are those of nonbonded_term.cpp and obc_term.cpp,
// mostly in the same operation order; results agree with those terms to rounding (the tests
// hold the kernel to the LibTorch ops at 1e-13).
//
// Layout: pairs (i, j > i) in row-major order, pair k = row_begin_[i] + (j − i − 1). Most loops
// run over all pairs, with per-pair parameters laid out at construction; loops that need
// per-atom values of this configuration (positions, Born radii) or sum into atoms go row by
// row, where atom j and its values are contiguous, so they vectorise without gathers. Sums into
// atom i (a reduction over its row) go in four partial sums; sums into atom j are vector
// updates.
#include "pita/molecule/pair_kernel_impl.h"

// This file is compiled with -fno-math-errno -fno-trapping-math (pita/CMakeLists.txt): sqrt
// becomes one instruction and the masked selects stay branch-free, so the pair loops
// vectorise. Neither flag changes a result (no reassociation, no contraction): they only drop
// errno and floating-point exception flags, which nothing reads.
// PITA_IVDEP and PITA_CLONES (pita/core/vectorize.h): the pair loops' arrays do not overlap, and
// x86-64 builds also compile them for AVX2 (4 doubles per vector instead of SSE2's 2).
#include "pita/core/vectorize.h"

#include <cmath>
#include <cstring>
#include <limits>

#include <ATen/ATen.h>

#include "pita/core/units.h"

namespace pita::detail {
namespace {

/// ½·T of receiver (offset radius o) screened by a sphere of scaled radius s at distance r, and
/// its derivative in r, given 1/U, 1/L and log(L/U) (see ObcTerm::descreening); no overlap test.
template <bool kEngulf>
inline void descreening(double r, double ir, double o, double s, double inv_o, double iu, double il,
                        double log_ratio, double& t_out, double& dt_out) {
    const double dist = std::abs(r - s);
    const double sign = r >= s ? 1.0 : -1.0;
    const double dlower = dist > o ? sign : 0.0;
    const double a = r - s * s * ir, b = iu * iu - il * il;
    double t = il - iu + 0.25 * a * b + 0.5 * log_ratio * ir;
    double dt = -dlower * il * il + iu * iu + 0.25 * (1.0 + s * s * ir * ir) * b +
                0.25 * a * (-2.0 * iu * iu * iu + 2.0 * dlower * il * il * il) +
                0.5 * ((dlower * il - iu) * ir - log_ratio * ir * ir);
    if (kEngulf) {
        const bool engulfed = o < s - r;
        t += engulfed ? 2.0 * (inv_o - il) : 0.0;
        dt += engulfed ? 2.0 * dlower * il * il : 0.0;
    }
    t_out = 0.5 * t;
    dt_out = 0.5 * dt;
}

/// Pass 1c over n pairs (i, j): descreening of i by j (t1, d1) and of j by i (t2, d2). A pair
/// counts where r² < rc² or r² is NaN (rc² = NaN: no cutoff) and where the spheres overlap.
/// Per pair: o, s and 1/o of i and of j.
template <bool kEngulf>
PITA_CLONES void descreening_pairs(int64_t n, double rc2, const double* __restrict oi,
                                   const double* __restrict si, const double* __restrict inv_oi,
                                   const double* __restrict oj, const double* __restrict sj,
                                   const double* __restrict inv_oj, const double* __restrict r,
                                   const double* __restrict inv_r, const double* __restrict r2,
                                   const double* __restrict iu1, const double* __restrict il1,
                                   const double* __restrict iu2, const double* __restrict il2,
                                   const double* __restrict lg1, const double* __restrict lg2,
                                   double* __restrict t1, double* __restrict d1,
                                   double* __restrict t2, double* __restrict d2) {
    for (int64_t k = 0; k < n; ++k) {
        const double rr = r[k], ir = inv_r[k];
        double t_1, dt_1, t_2, dt_2;
        descreening<kEngulf>(rr, ir, oi[k], sj[k], inv_oi[k], iu1[k], il1[k], lg1[k], t_1, dt_1);
        descreening<kEngulf>(rr, ir, oj[k], si[k], inv_oj[k], iu2[k], il2[k], lg2[k], t_2, dt_2);
        // 0/1 factors, not selects: with a select GCC moves the arithmetic (and its loads)
        // under a branch and the loop no longer vectorises. The terms are finite wherever a
        // factor is 0 (r > 0); a NaN distance keeps both factors 1.
        const bool out = r2[k] >= rc2;
        const double in1 = out | (rr + sj[k] - oi[k] < 0) ? 0.0 : 1.0;
        const double in2 = out | (rr + si[k] - oj[k] < 0) ? 0.0 : 1.0;
        t1[k] = in1 * t_1;
        d1[k] = in1 * dt_1;
        t2[k] = in2 * t_2;
        d2[k] = in2 * dt_2;
    }
}

/// Σ a[m], m < n, in four interleaved partial sums: four independent add chains (a left-to-right
/// sum waits on each add), the same value up to rounding.
inline double sum4(const double* __restrict a, int64_t n) {
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    int64_t m = 0;
    for (; m + 4 <= n; m += 4) {
        s0 += a[m];
        s1 += a[m + 1];
        s2 += a[m + 2];
        s3 += a[m + 3];
    }
    for (; m < n; ++m) s0 += a[m];
    return (s0 + s1) + (s2 + s3);
}

/// Σ a[m]·b[m], m < n, as sum4.
inline double dot4(const double* __restrict a, const double* __restrict b, int64_t n) {
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    int64_t m = 0;
    for (; m + 4 <= n; m += 4) {
        s0 += a[m] * b[m];
        s1 += a[m + 1] * b[m + 1];
        s2 += a[m + 2] * b[m + 2];
        s3 += a[m + 3] * b[m + 3];
    }
    for (; m < n; ++m) s0 += a[m] * b[m];
    return (s0 + s1) + (s2 + s3);
}

/// x⁶ by three multiplications (std::pow(x, 6) to within 2 ulp).
inline double pow6(double x) {
    const double x2 = x * x;
    return x2 * x2 * x2;
}

inline uint64_t bits_of(double x) {
    uint64_t u;
    std::memcpy(&u, &x, sizeof u);
    return u;
}
inline double double_of(uint64_t u) {
    double x;
    std::memcpy(&x, &u, sizeof x);
    return x;
}

// log and exp for the pair loops: fdlibm's __ieee754_log and __ieee754_exp (error < 1 ulp; they
// differ from glibc's in the last bit for about 2 % and 10 % of arguments), written without
// branches so that their loops vectorise. Arguments outside the stated ranges go to std::log
// and std::exp (see log_pairs, exp_pairs).

/// log x for positive, normal, finite x.
inline double log_normal(double x) {
    constexpr double kLn2Hi = 6.93147180369123816490e-01, kLn2Lo = 1.90821492927058770002e-10;
    constexpr double kLg1 = 6.666666666666735130e-01, kLg2 = 3.999999999940941908e-01,
                     kLg3 = 2.857142874366239149e-01, kLg4 = 2.222219843214978396e-01,
                     kLg5 = 1.818357216161805012e-01, kLg6 = 1.531383769920937332e-01,
                     kLg7 = 1.479819860511658591e-01;
    constexpr double kTwo52 = 4503599627370496.0;  // bits(2^52 + j) = bits(2^52) + j, j < 2^52
    const uint64_t u = bits_of(x);
    const uint64_t high = u >> 32;
    const uint64_t hx = high & 0x000fffff;
    const uint64_t i = (hx + 0x95f64) & 0x100000;
    // x = 2^k·m with m in [√2/2, √2); k as a double by way of 2^52 + (k + 2048).
    const uint64_t k_plus_2048 = (high >> 20) + (i >> 20) + (2048 - 1023);
    const double dk = (double_of(bits_of(kTwo52) + k_plus_2048) - kTwo52) - 2048.0;
    const double m = double_of(((hx | (i ^ 0x3ff00000)) << 32) | (u & 0xffffffffULL));
    const double f = m - 1.0;
    const double s = f / (2.0 + f);
    const double z = s * s;
    const double w = z * z;
    const double t1 = w * (kLg2 + w * (kLg4 + w * kLg6));
    const double t2 = z * (kLg1 + w * (kLg3 + w * (kLg5 + w * kLg7)));
    const double r = t2 + t1;
    const double hfsq = 0.5 * f * f;
    const double far = dk * kLn2Hi - ((hfsq - (s * (hfsq + r) + dk * kLn2Lo)) - f);
    const double near = dk * kLn2Hi - ((s * (f - r) - dk * kLn2Lo) - f);
    const int64_t which = static_cast<int64_t>((hx - 0x6147a) | (0x6b851 - hx));
    return which > 0 ? far : near;
}

/// e^x for x in [−1400, 0] (below −745 the result is 0).
inline double exp_nonpositive(double x) {
    constexpr double kInvLn2 = 1.44269504088896338700e+00;
    constexpr double kLn2Hi = 6.93147180369123816490e-01, kLn2Lo = 1.90821492927058770002e-10;
    constexpr double kP1 = 1.66666666666666019037e-01, kP2 = -2.77777777770155933842e-03,
                     kP3 = 6.61375632143793436117e-05, kP4 = -1.65339022054652515390e-06,
                     kP5 = 4.13813679705723846039e-08;
    constexpr double kRound = 6755399441055744.0;  // 1.5·2^52: (y + kRound) − kRound rounds y
    const double kd = (x * kInvLn2 + kRound) - kRound;
    const double hi = x - kd * kLn2Hi;
    const double lo = kd * kLn2Lo;
    const double r = hi - lo;
    const double t = r * r;
    const double c = r - t * (kP1 + t * (kP2 + t * (kP3 + t * (kP4 + t * kP5))));
    const double y = 1.0 - ((lo - (r * c) / (2.0 - c)) - hi);
    // y·2^k as y·2^k1·2^k2, both factors normal down to k = −2044.
    const double k1 = (kd * 0.5 + kRound) - kRound, k2 = kd - k1;
    const double p1 = double_of((bits_of(k1 + kRound) - bits_of(kRound) + 1023) << 52);
    const double p2 = double_of((bits_of(k2 + kRound) - bits_of(kRound) + 1023) << 52);
    return y * p1 * p2;
}

/// out[k] = log(in[k]) for k < n.
PITA_CLONES void log_pairs(int64_t n, const double* __restrict in, double* __restrict out) {
    constexpr double kMin = std::numeric_limits<double>::min();
    constexpr double kMax = std::numeric_limits<double>::max();
    for (int64_t k = 0; k < n; ++k) out[k] = log_normal(in[k]);
    int64_t others = 0;  // (a flag set in the loop above would keep it from vectorising)
    for (int64_t k = 0; k < n; ++k) others += !(in[k] >= kMin && in[k] <= kMax);
    if (others == 0) return;
    for (int64_t k = 0; k < n; ++k)  // 0, subnormal, negative, ∞, NaN
        if (!(in[k] >= kMin && in[k] <= kMax)) out[k] = std::log(in[k]);
}

/// out[k] = exp(in[k]) for k < n.
PITA_CLONES void exp_pairs(int64_t n, const double* __restrict in, double* __restrict out) {
    for (int64_t k = 0; k < n; ++k) {
        const double x = in[k];
        out[k] = exp_nonpositive(x < -1400.0 ? -1400.0 : x);  // NaN stays NaN
    }
    int64_t positive = 0;
    for (int64_t k = 0; k < n; ++k) positive += in[k] > 0.0;
    if (positive == 0) return;
    for (int64_t k = 0; k < n; ++k)
        if (in[k] > 0.0) out[k] = std::exp(in[k]);
}

std::vector<double> to_vector(const at::Tensor& t) {
    const at::Tensor c = t.to(at::kDouble).contiguous();
    return {c.data_ptr<double>(), c.data_ptr<double>() + c.numel()};
}

std::vector<int64_t> to_vector_long(const at::Tensor& t) {
    const at::Tensor c = t.to(at::kLong).contiguous();
    return {c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel()};
}

/// A squared cutoff that no r² reaches: r² >= NaN is false, also for r² = ∞.
constexpr double kNoCutoff = std::numeric_limits<double>::quiet_NaN();

}  // namespace

PairKernel::PairKernel(int64_t n_particles, const NonbondedParams* nonbonded, const ObcParams* obc)
    : n_(n_particles), n_pairs_(n_particles * (n_particles - 1) / 2) {
    row_begin_.resize(static_cast<size_t>(n_));
    for (int64_t i = 0, k = 0; i < n_; k += n_ - 1 - i, ++i) row_begin_[i] = k;
    const auto pairs = static_cast<size_t>(n_pairs_);
    auto pair_index = [&](int64_t a, int64_t b) {
        const int64_t i = std::min(a, b), j = std::max(a, b);
        return static_cast<size_t>(row_begin_[i] + (j - i - 1));
    };

    if (nonbonded != nullptr) {
        has_nonbonded_ = true;
        const NonbondedParams& p = *nonbonded;
        nb_cutoff2_.assign(pairs, -1.0);  // excluded pairs: out at any distance
        nb_sigma2_.assign(pairs, 0.0);
        nb_eps4_.assign(pairs, 0.0);
        nb_kqq_.assign(pairs, 0.0);
        nb_krf_.assign(pairs, 0.0);
        nb_crf_.assign(pairs, 0.0);
        auto fill = [&](const at::Tensor& atoms, const at::Tensor& qq, const at::Tensor& sigma,
                        const at::Tensor& epsilon, bool ordinary) {
            const std::vector<int64_t> ij = to_vector_long(atoms);
            const std::vector<double> q = to_vector(qq), s = to_vector(sigma),
                                      e = to_vector(epsilon);
            for (size_t m = 0; m < q.size(); ++m) {
                const size_t k = pair_index(ij[2 * m], ij[2 * m + 1]);
                nb_cutoff2_[k] = ordinary && p.use_cutoff ? p.cutoff * p.cutoff : kNoCutoff;
                nb_sigma2_[k] = s[m] * s[m];
                nb_eps4_[k] = 4.0 * e[m];
                nb_kqq_[k] = kOne4PiEps0 * q[m];
                nb_krf_[k] = ordinary && p.use_cutoff ? p.k_rf : 0.0;
                nb_crf_[k] = ordinary && p.use_cutoff ? p.c_rf : 0.0;
            }
        };
        fill(p.pairs, p.charge_prod, p.sigma, p.epsilon, true);
        fill(p.exception_pairs, p.exception_charge_prod, p.exception_sigma, p.exception_epsilon,
             false);
    }
    if (obc != nullptr) {
        has_obc_ = true;
        obc_ = *obc;
        obc_cutoff2_ = obc_.use_cutoff ? obc_.cutoff * obc_.cutoff : kNoCutoff;
        obc_pre_ =
            -obc_.coulomb_constant * (1.0 / obc_.solute_dielectric - 1.0 / obc_.solvent_dielectric);
        charge_ = to_vector(obc_.charge);
        offset_radius_ = to_vector(obc_.offset_radius);
        scaled_radius_ = to_vector(obc_.scaled_radius);
        inv_offset_radius_.resize(offset_radius_.size());
        for (size_t i = 0; i < offset_radius_.size(); ++i)
            inv_offset_radius_[i] = 1.0 / offset_radius_[i];
        gb_kqq_.resize(pairs);
        for (auto* v : {&pair_oi_, &pair_si_, &pair_inv_oi_, &pair_oj_, &pair_sj_, &pair_inv_oj_})
            v->resize(pairs);
        for (int64_t i = 0; i < n_; ++i) {
            for (int64_t j = i + 1; j < n_; ++j) {
                const size_t k = pair_index(i, j);
                gb_kqq_[k] = obc_pre_ * charge_[i] * charge_[j];
                pair_oi_[k] = offset_radius_[i];
                pair_si_[k] = scaled_radius_[i];
                pair_inv_oi_[k] = inv_offset_radius_[i];
                pair_oj_[k] = offset_radius_[j];
                pair_sj_[k] = scaled_radius_[j];
                pair_inv_oj_[k] = inv_offset_radius_[j];
            }
        }
    }
    // Positions and gradients SoA (6n), per-atom OBC values (4n); per pair: geometry (6),
    // ∂E/∂r (1), nonbonded energies (1), OBC (12), force coefficient (1).
    scratch_size_ = static_cast<size_t>(10 * n_ + 21 * n_pairs_);
}

PITA_CLONES double PairKernel::energy(const double* x, double* grad, double* scratch) const {
    const int64_t n = n_, np = n_pairs_;
    double* xs = scratch;
    double* ys = xs + n;
    double* zs = ys + n;
    double* gx = zs + n;
    double* gy = gx + n;
    double* gz = gy + n;
    double* atom_work = gz + n;      // 4n, OBC
    double* dx = atom_work + 4 * n;  // pair arrays from here
    double* dy = dx + np;
    double* dz = dy + np;
    double* r2 = dz + np;
    double* r = r2 + np;
    double* inv_r = r + np;
    double* de_dr = inv_r + np;
    double* coef = de_dr + np;
    double* pair_work = coef + np;  // 13 np: nonbonded energies, OBC

    for (int64_t i = 0; i < n; ++i) {
        xs[i] = x[3 * i];
        ys[i] = x[3 * i + 1];
        zs[i] = x[3 * i + 2];
    }
    // Geometry: the same operations as the terms, d = x_j − x_i, r² = Σ d², r, 1/r.
    for (int64_t i = 0; i < n; ++i) {
        const int64_t k0 = row_begin_[i], len = n - 1 - i;
        const double xi = xs[i], yi = ys[i], zi = zs[i];
        const double* __restrict xj = xs + i + 1;
        const double* __restrict yj = ys + i + 1;
        const double* __restrict zj = zs + i + 1;
        double* __restrict dxk = dx + k0;
        double* __restrict dyk = dy + k0;
        double* __restrict dzk = dz + k0;
        double* __restrict r2k = r2 + k0;
        double* __restrict rk = r + k0;
        double* __restrict irk = inv_r + k0;
        PITA_IVDEP for (int64_t m = 0; m < len; ++m) {
            const double ax = xj[m] - xi, ay = yj[m] - yi, az = zj[m] - zi;
            dxk[m] = ax;
            dyk[m] = ay;
            dzk[m] = az;
            const double s = ax * ax + ay * ay + az * az;
            r2k[m] = s;
            const double rr = std::sqrt(s);
            rk[m] = rr;
            irk[m] = 1.0 / rr;
        }
    }
    for (int64_t k = 0; k < np; ++k) de_dr[k] = 0.0;

    const bool want_grad = grad != nullptr;
    double e = 0;
    if (has_nonbonded_) e += nonbonded_pairs(r2, r, inv_r, de_dr, pair_work);
    if (has_obc_) e += obc(r2, r, inv_r, de_dr, atom_work, pair_work + np, want_grad);
    if (!want_grad) return e;

    // ∂E/∂r (direct terms, and the OBC chain rule folded into de_dr) scattered onto atoms.
    for (int64_t i = 0; i < n; ++i) gx[i] = gy[i] = gz[i] = 0.0;
    for (int64_t i = 0; i < n; ++i) {
        const int64_t k0 = row_begin_[i], len = n - 1 - i;
        const double* __restrict dek = de_dr + k0;
        const double* __restrict irk = inv_r + k0;
        const double* __restrict dxk = dx + k0;
        const double* __restrict dyk = dy + k0;
        const double* __restrict dzk = dz + k0;
        double* __restrict ck = coef + k0;
        double* __restrict gxj = gx + i + 1;
        double* __restrict gyj = gy + i + 1;
        double* __restrict gzj = gz + i + 1;
        PITA_IVDEP for (int64_t m = 0; m < len; ++m) {
            const double c = dek[m] * irk[m];
            ck[m] = c;
            gxj[m] += c * dxk[m];
            gyj[m] += c * dyk[m];
            gzj[m] += c * dzk[m];
        }
        gx[i] -= dot4(ck, dxk, len);
        gy[i] -= dot4(ck, dyk, len);
        gz[i] -= dot4(ck, dzk, len);
    }
    for (int64_t i = 0; i < n; ++i) {
        grad[3 * i] += gx[i];
        grad[3 * i + 1] += gy[i];
        grad[3 * i + 2] += gz[i];
    }
    return e;
}

PITA_CLONES double PairKernel::nonbonded_pairs(const double* r2, const double* r,
                                               const double* inv_r, double* de_dr,
                                               double* energies) const {
    const int64_t np = n_pairs_;
    const double* __restrict rc2 = nb_cutoff2_.data();
    const double* __restrict sigma2 = nb_sigma2_.data();
    const double* __restrict eps4 = nb_eps4_.data();
    const double* __restrict kqq = nb_kqq_.data();
    const double* __restrict krf = nb_krf_.data();
    const double* __restrict crf = nb_crf_.data();
    double* __restrict ek = energies;
    double* __restrict dk = de_dr;
    PITA_IVDEP for (int64_t k = 0; k < np; ++k) {
        const double ir = inv_r[k], rr = r[k];
        const double s2 = sigma2[k] * ir * ir;
        const double s6 = s2 * s2 * s2;
        const double lj = eps4[k] * (s6 * s6 - s6);
        const double dlj = eps4[k] * (-12.0 * s6 * s6 + 6.0 * s6) * ir;
        const double coulomb = kqq[k] * (ir + krf[k] * rr * rr - crf[k]);
        const double dcoulomb = kqq[k] * (-ir * ir + 2.0 * krf[k] * rr);
        // Outside the cutoff only where it applies; a NaN distance stays in (NaN >= rc² is
        // false), so that its row's energy is NaN.
        const bool in = !(r2[k] >= rc2[k]);
        ek[k] = in ? lj + coulomb : 0.0;
        dk[k] += in ? dlj + dcoulomb : 0.0;
    }
    return sum4(ek, np);
}

PITA_CLONES double PairKernel::obc(const double* r2, const double* r, const double* inv_r,
                                   double* de_dr, double* atom_work, double* pair_work,
                                   bool want_grad) const {
    const int64_t n = n_, np = n_pairs_;
    const ObcParams& p = obc_;
    const bool engulf = p.engulf_correction;
    const double rc2 = obc_cutoff2_;
    double* sum = atom_work;
    double* born = sum + n;
    double* dborn_dsum = born + n;
    double* de_dborn = dborn_dsum + n;
    double* iu1 = pair_work;  // receiver i, screener j
    double* il1 = iu1 + np;
    double* iu2 = il1 + np;  // receiver j, screener i
    double* il2 = iu2 + np;
    double* lg1 = il2 + np;  // log(L/U), then lg2 right after it
    double* lg2 = lg1 + np;
    double* t1 = lg2 + np;  // ½·T of receiver i
    double* d1 = t1 + np;   // ∂(½·T)/∂r, receiver i and receiver j
    double* d2 = d1 + np;
    double* ex = d2 + np;  // exp(−r²/(4 B_i B_j))
    double* w = ex + np;   // ∂E/∂(B_i B_j)-weights of the Born-radius chain rule
    double* egb = w + np;  // GB pair energies
    const double* o = offset_radius_.data();

    // Pass 1a: the bounds of the descreening integral, U = r + s, L = max(|r − s|, o).
    {
        const double* __restrict oi = pair_oi_.data();
        const double* __restrict si = pair_si_.data();
        const double* __restrict oj = pair_oj_.data();
        const double* __restrict sj = pair_sj_.data();
        double* __restrict arg1 = t1;  // L/U until pass 1c writes t1 and d1
        double* __restrict arg2 = d1;
        PITA_IVDEP for (int64_t k = 0; k < np; ++k) {
            const double rr = r[k];
            const double upper1 = rr + sj[k], dist1 = std::abs(rr - sj[k]);
            const double lower1 = dist1 > oi[k] ? dist1 : oi[k];
            const double upper2 = rr + si[k], dist2 = std::abs(rr - si[k]);
            const double lower2 = dist2 > oj[k] ? dist2 : oj[k];
            const double iu_1 = 1.0 / upper1, iu_2 = 1.0 / upper2;
            iu1[k] = iu_1;
            il1[k] = 1.0 / lower1;
            iu2[k] = iu_2;
            il2[k] = 1.0 / lower2;
            arg1[k] = lower1 * iu_1;
            arg2[k] = lower2 * iu_2;
        }
    }
    // Pass 1b: the logarithms of both directions (t1, d1 and lg1, lg2 are adjacent).
    log_pairs(2 * np, t1, lg1);
    // Pass 1c: the descreening terms and their derivatives, then their sums into the atoms (row
    // by row: j's terms, then i's).
    double* t2 = egb;  // until pass 2 writes egb
    (engulf ? descreening_pairs<true>
            : descreening_pairs<false>)(np, rc2, pair_oi_.data(), pair_si_.data(),
                                        pair_inv_oi_.data(), pair_oj_.data(), pair_sj_.data(),
                                        pair_inv_oj_.data(), r, inv_r, r2, iu1, il1, iu2, il2, lg1,
                                        lg2, t1, d1, t2, d2);
    for (int64_t i = 0; i < n; ++i) sum[i] = 0.0;
    for (int64_t i = 0; i < n; ++i) {
        const int64_t k0 = row_begin_[i], len = n - 1 - i;
        const double* __restrict t1k = t1 + k0;
        const double* __restrict t2k = t2 + k0;
        double* __restrict sum_j = sum + i + 1;
        PITA_IVDEP for (int64_t m = 0; m < len; ++m) sum_j[m] += t2k[m];
        sum[i] += sum4(t1k, len);
    }
    // Born radii, self and surface-area energies (as ObcTerm).
    const double pre = obc_pre_;
    double e = 0;
    for (int64_t i = 0; i < n; ++i) {
        const double oi = o[i], rho = oi + p.offset;
        const double psi = sum[i] * oi;
        const double t = std::tanh(p.alpha * psi - p.beta * psi * psi + p.gamma * psi * psi * psi);
        born[i] = 1.0 / (1.0 / oi - t / rho);
        dborn_dsum[i] = born[i] * born[i] * (1.0 - t * t) / rho *
                        (p.alpha - 2.0 * p.beta * psi + 3.0 * p.gamma * psi * psi) * oi;
        const double self = 0.5 * pre * charge_[i] * charge_[i] / born[i];
        e += self;
        de_dborn[i] = -self / born[i];
        if (p.use_surface_area) {
            const double sa = p.surface_area_factor * (rho + p.probe_radius) *
                              (rho + p.probe_radius) * pow6(rho / born[i]);
            e += sa;
            de_dborn[i] -= 6.0 * sa / born[i];
        }
    }
    // Pass 2: GB pair energies, their direct ∂E/∂r and their Born-radius derivatives.
    double* bb = il1;  // B_i·B_j; il1 is done with
    for (int64_t i = 0; i < n; ++i) {
        const int64_t k0 = row_begin_[i], len = n - 1 - i;
        const double bi = born[i];
        const double* __restrict bj = born + i + 1;
        double* __restrict bbk = bb + k0;
        PITA_IVDEP for (int64_t m = 0; m < len; ++m) bbk[m] = bi * bj[m];
    }
    PITA_IVDEP for (int64_t k = 0; k < np; ++k) w[k] = -(r[k] * r[k]) / (4.0 * bb[k]);
    exp_pairs(np, w, ex);  // w keeps −r²/(4 B_i B_j) until pass 2 overwrites it
    const double shift = p.screening_shift;
    const double* __restrict kqqk = gb_kqq_.data();
    PITA_IVDEP for (int64_t k = 0; k < np; ++k) {
        const bool in = !(r2[k] >= rc2);
        const double bbk = bb[k];
        const double rr = r[k];
        const double rsq = rr * rr;
        const double exm = ex[k];
        const double q = -w[k];  // r²/(4 B_i B_j), from the exponent
        const double f = std::sqrt(rsq + bbk * exm);
        const double inv_f = 1.0 / f;
        const double kqq = kqqk[k];
        const double eg = kqq * (inv_f - shift);
        const double de_df = -kqq * inv_f * inv_f;
        const double dr = de_df * rr * (1.0 - 0.25 * exm) * inv_f;
        const double df_dbb = exm * (1.0 + q) * (0.5 * inv_f);
        w[k] = in ? de_df * df_dbb : 0.0;
        egb[k] = in ? eg : 0.0;
        de_dr[k] += in ? dr : 0.0;
    }
    e += sum4(egb, np);
    for (int64_t i = 0; i < n; ++i) {
        const int64_t k0 = row_begin_[i], len = n - 1 - i;
        const double bi = born[i];
        const double* __restrict bj = born + i + 1;
        const double* __restrict wk = w + k0;
        double* __restrict de_dborn_j = de_dborn + i + 1;
        PITA_IVDEP for (int64_t m = 0; m < len; ++m) de_dborn_j[m] += wk[m] * bi;
        de_dborn[i] += dot4(wk, bj, len);
    }
    if (!want_grad) return e;
    // Pass 3: the chain rule through the Born radii, folded into ∂E/∂r.
    for (int64_t i = 0; i < n; ++i) {
        const int64_t k0 = row_begin_[i], len = n - 1 - i;
        const double ai = de_dborn[i] * dborn_dsum[i];
        const double* __restrict de_dborn_j = de_dborn + i + 1;
        const double* __restrict dborn_dsum_j = dborn_dsum + i + 1;
        const double* __restrict d1k = d1 + k0;
        const double* __restrict d2k = d2 + k0;
        double* __restrict dek = de_dr + k0;
        PITA_IVDEP for (int64_t m = 0; m < len; ++m) dek[m] +=
            ai * d1k[m] + de_dborn_j[m] * dborn_dsum_j[m] * d2k[m];
    }
    return e;
}

}  // namespace pita::detail
