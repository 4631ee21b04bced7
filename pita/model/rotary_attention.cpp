#include "pita/model/rotary_attention.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <new>

#include <ATen/Dispatch.h>
#include <fmt/format.h>
#include <torch/torch.h>

#include "pita/core/error.h"
#include "pita/core/parallel_rows.h"
#include "pita/core/vectorize.h"
#include "pita/model/rotary.h"

namespace pita::detail {
namespace {

// Groups of kLanes (batch, head) rows per chunk handed to a thread: one group of 22 tokens × 16
// channels is about 8 × 15 k multiply-adds forward and twice that backward, tens of microseconds.
constexpr int64_t kGroupsPerChunk = 1;

struct Shape {
    int64_t batch, n, heads, hd;
};

Shape check_shapes(const at::Tensor& qkv, const at::Tensor& cos, const at::Tensor& sin) {
    PITA_CHECK(qkv.dim() == 5 && qkv.size(2) == 3,
               "[attention] qkv: got shape [{}]; expected [batch, n, 3, heads, head_dim].",
               fmt::join(qkv.sizes(), ", "));
    const Shape s{qkv.size(0), qkv.size(1), qkv.size(3), qkv.size(4)};
    PITA_CHECK(s.hd % 2 == 0, "[attention] head_dim: got {}; expected even (RoPE rotates pairs).",
               s.hd);
    for (const at::Tensor* t : {&cos, &sin})
        PITA_CHECK(t->dim() == 2 && t->size(0) == s.n && t->size(1) == s.hd &&
                       t->scalar_type() == qkv.scalar_type() && t->device() == qkv.device(),
                   "[attention] rotary table: got [{}] {} on {}; expected [{}, {}] {} on {}.",
                   fmt::join(t->sizes(), ", "), c10::toString(t->scalar_type()), t->device().str(),
                   s.n, s.hd, c10::toString(qkv.scalar_type()), qkv.device().str());
    return s;
}

/// Where the n × hd block of (batch, head) row r lies in one tensor, in elements.
struct RowLayout {
    int64_t offset;  // of row 0's token 0 (the part's offset in qkv)
    int64_t token;   // between tokens
    int64_t batch;   // between batch entries
    int64_t heads, hd;
    int64_t at(int64_t r) const { return (r / heads) * batch + offset + (r % heads) * hd; }
};

/// The two layouts: qkv [B, n, 3, heads, hd] (one RowLayout per part: query, key, value) and
/// out [B, n, heads, hd] (also the layout of out's gradient).
struct Layout {
    explicit Layout(const Shape& s) : shape(s) {}
    RowLayout qkv(int64_t part) const {
        const int64_t token = 3 * shape.heads * shape.hd;
        return {part * shape.heads * shape.hd, token, shape.n * token, shape.heads, shape.hd};
    }
    RowLayout out() const {
        const int64_t token = shape.heads * shape.hd;
        return {0, token, shape.n * token, shape.heads, shape.hd};
    }

    Shape shape;
};

#if defined(__GNUC__)
#define PITA_INLINE [[gnu::always_inline]] inline
#else
#define PITA_INLINE inline
#endif

// The kernel runs kLanes (batch, head) rows side by side, one per SIMD lane: every array below is
// laid out [..., lane] and every loop's innermost step is the same operation on all lanes, so it
// is one vector instruction (8 floats under AVX2) with no reduction across lanes. Each lane runs
// the plain sequential algorithm, so a row's result depends neither on its neighbours nor on
// the vector width: bitwise the same on any machine and thread count. A per-row loop instead
// vectorised only over 16 channels or 22 tokens, short loops whose overhead dominated (measured
// 3.5 GFLOP/s).
constexpr int64_t kLanes = 8;

/// One group's views of kLanes rows. Rows past the end (the last group) are computed on zeros
/// and not written back.
struct Group {
    int64_t first_row;
    int64_t rows;  // 1 … kLanes
};

/// dst[i][c][l] = factor · RoPE(x_l)[i][c] for the rows x_l of g in src (laid out as `rows`,
/// n tokens): query or key; a plain copy when rotate is false (value, out's gradient). Lanes
/// past g.rows are zero.
template <typename T>
PITA_INLINE void gather(const T* src, const RowLayout& rows, int64_t n, const Group& g, bool rotate,
                        const T* cos, const T* sin, T factor, T* dst) {
    const int64_t hd = rows.hd;
    std::fill(dst, dst + n * hd * kLanes, T(0));
    for (int64_t l = 0; l < g.rows; ++l) {
        const T* row = src + rows.at(g.first_row + l);
        for (int64_t i = 0; i < n; ++i) {
            const T* x = row + i * rows.token;
            const T* c = cos + i * hd;
            const T* s = sin + i * hd;
            T* out = dst + i * hd * kLanes + l;
            for (int64_t k = 0; k < hd; k += 2) {
                if (rotate) {
                    out[k * kLanes] = factor * (x[k] * c[k] + x[k + 1] * s[k]);
                    out[(k + 1) * kLanes] = factor * (x[k + 1] * c[k + 1] + x[k] * s[k + 1]);
                } else {
                    out[k * kLanes] = x[k];
                    out[(k + 1) * kLanes] = x[k + 1];
                }
            }
        }
    }
}

/// The transpose of gather: RoPE's inverse rotation (when rotate) of src[i][c][l], or a plain
/// copy, written to the rows of g in dst (laid out as `rows`, n tokens).
template <typename T>
PITA_INLINE void scatter(const T* src, const RowLayout& rows, int64_t n, const Group& g,
                         bool rotate, const T* cos, const T* sin, T factor, T* dst) {
    const int64_t hd = rows.hd;
    for (int64_t l = 0; l < g.rows; ++l) {
        T* row = dst + rows.at(g.first_row + l);
        for (int64_t i = 0; i < n; ++i) {
            const T* gi = src + i * hd * kLanes + l;
            const T* c = cos + i * hd;
            const T* s = sin + i * hd;
            T* out = row + i * rows.token;
            for (int64_t k = 0; k < hd; k += 2) {
                const T g0 = gi[k * kLanes];
                const T g1 = gi[(k + 1) * kLanes];
                if (rotate) {
                    out[k] = factor * (g0 * c[k] + g1 * s[k + 1]);
                    out[k + 1] = factor * (g1 * c[k + 1] + g0 * s[k]);
                } else {
                    out[k] = g0;
                    out[k + 1] = g1;
                }
            }
        }
    }
}

/// kLanes values of T as one GCC vector (one AVX2 register for float, two for double; twice as
/// many SSE registers in the baseline build), allowed to alias T.
template <typename T>
struct LaneVector;
template <>
struct LaneVector<float> {
    typedef float type __attribute__((vector_size(kLanes * sizeof(float)), __may_alias__));
};
template <>
struct LaneVector<double> {
    typedef double type __attribute__((vector_size(kLanes * sizeof(double)), __may_alias__));
};

/// out[i][j][l] = Σ_k A(i, k)[l] · B(k, j)[l] for i < rows, j < cols, k < inner, with
/// A(i, k) = a + (i·a_row + k·a_inner)·kLanes and B(k, j) = b + (k·b_inner + j·b_col)·kLanes
/// (strides in lane vectors; every buffer aligned to a lane vector), out [rows, cols, kLanes].
/// Four outputs at a time: four independent accumulator chains hide the adds' latency, and each
/// A vector is loaded once for the four.
template <typename T>
PITA_INLINE void products(const T* a, int64_t a_row, int64_t a_inner, const T* b, int64_t b_inner,
                          int64_t b_col, int64_t rows, int64_t cols, int64_t inner, T* out) {
    using V = typename LaneVector<T>::type;
    const V* va = reinterpret_cast<const V*>(a);
    const V* vb = reinterpret_cast<const V*>(b);
    for (int64_t i = 0; i < rows; ++i) {
        V* dst = reinterpret_cast<V*>(out) + i * cols;
        int64_t j = 0;
        for (; j + 4 <= cols; j += 4) {
            V acc0{}, acc1{}, acc2{}, acc3{};
            for (int64_t k = 0; k < inner; ++k) {
                const V x = va[i * a_row + k * a_inner];
                const V* y = vb + k * b_inner + j * b_col;
                acc0 += x * y[0];
                acc1 += x * y[b_col];
                acc2 += x * y[2 * b_col];
                acc3 += x * y[3 * b_col];
            }
            dst[j] = acc0;
            dst[j + 1] = acc1;
            dst[j + 2] = acc2;
            dst[j + 3] = acc3;
        }
        for (; j < cols; ++j) {
            V acc{};
            for (int64_t k = 0; k < inner; ++k)
                acc += va[i * a_row + k * a_inner] * vb[k * b_inner + j * b_col];
            dst[j] = acc;
        }
    }
}

/// out[i][j] = Σ_c a[i][c] · b[j][c] per lane (a: rows × inner, b: cols × inner).
template <typename T>
PITA_INLINE void products_abt(const T* a, const T* b, int64_t rows, int64_t cols, int64_t inner,
                              T* out) {
    products(a, inner, 1, b, 1, inner, rows, cols, inner, out);
}

/// out[i][c] = Σ_j a[i][j] · b[j][c] per lane (a: rows × inner, b: inner × cols).
template <typename T>
PITA_INLINE void products_ab(const T* a, const T* b, int64_t rows, int64_t cols, int64_t inner,
                             T* out) {
    products(a, inner, 1, b, cols, 1, rows, cols, inner, out);
}

/// out[j][c] = Σ_i a[i][j] · b[i][c] per lane (a: inner × rows, b: inner × cols).
template <typename T>
PITA_INLINE void products_atb(const T* a, const T* b, int64_t rows, int64_t cols, int64_t inner,
                              T* out) {
    products(a, 1, rows, b, cols, 1, rows, cols, inner, out);
}

/// A zeroed buffer aligned to a lane vector (the products load whole vectors).
template <typename T>
struct AlignedBuffer {
    explicit AlignedBuffer(int64_t size)
        : data_(new (std::align_val_t(kLanes * sizeof(T))) T[size]()) {}
    T* data() { return data_.get(); }

  private:
    struct Delete {
        void operator()(T* p) const {
            ::operator delete[](p, std::align_val_t(kLanes * sizeof(T)));
        }
    };
    std::unique_ptr<T[], Delete> data_;
};

/// Per-thread buffers for one group.
template <typename T>
struct Scratch {
    Scratch(int64_t n, int64_t hd)
        : q(n * hd * kLanes),
          k(n * hd * kLanes),
          v(n * hd * kLanes),
          g(n * hd * kLanes),
          p(n * n * kLanes),
          dp(n * n * kLanes),
          d(n * hd * kLanes) {}
    AlignedBuffer<T> q, k, v, g, p, dp, d;
};

/// Raw views of one call's tensors, shared by all its groups.
template <typename T>
struct Views {
    Layout layout;
    const T* qkv;
    const T* cos;
    const T* sin;
    T scale;
    T* probs;           // [groups, n, n, kLanes], saved by the forward for the backward, or null
    T* out;             // forward: [B, n, heads, hd]
    const T* grad_out;  // backward: [B, n, heads, hd]
    T* grad_qkv;        // backward: [B, n, 3, heads, hd]
};

int64_t group_count(int64_t rows) { return (rows + kLanes - 1) / kLanes; }

Group group_at(const Layout& L, int64_t index) {
    const int64_t rows = L.shape.batch * L.shape.heads;
    return {index * kLanes, std::min(kLanes, rows - index * kLanes)};
}

/// The group's rows of q (rotated, with the logits' scale), k (rotated) and v into w.
template <typename T>
PITA_INLINE Group load_group(const Views<T>& a, int64_t index, Scratch<T>& w) {
    const Layout& L = a.layout;
    const int64_t n = L.shape.n;
    const Group g = group_at(L, index);
    gather(a.qkv, L.qkv(0), n, g, true, a.cos, a.sin, a.scale, w.q.data());
    gather(a.qkv, L.qkv(1), n, g, true, a.cos, a.sin, T(1), w.k.data());
    gather(a.qkv, L.qkv(2), n, g, false, a.cos, a.sin, T(1), w.v.data());
    return g;
}

template <typename T>
PITA_INLINE void forward_group(const Views<T>& a, int64_t index, Scratch<T>& w) {
    const Layout& L = a.layout;
    const int64_t n = L.shape.n, hd = L.shape.hd;
    const Group g = load_group(a, index, w);
    T* p = a.probs != nullptr ? a.probs + index * n * n * kLanes : w.p.data();
    products_abt(w.q.data(), w.k.data(), n, n, hd, p);  // logits
    for (int64_t i = 0; i < n; ++i) {                   // max-shifted softmax over j, per lane
        T* row = p + i * n * kLanes;
        T top[kLanes], total[kLanes] = {};
        std::copy_n(row, kLanes, top);
        for (int64_t j = 1; j < n; ++j)
            for (int64_t l = 0; l < kLanes; ++l) top[l] = std::max(top[l], row[j * kLanes + l]);
        for (int64_t j = 0; j < n; ++j)
            for (int64_t l = 0; l < kLanes; ++l)
                total[l] += (row[j * kLanes + l] = std::exp(row[j * kLanes + l] - top[l]));
        for (int64_t l = 0; l < kLanes; ++l) total[l] = T(1) / total[l];
        for (int64_t j = 0; j < n; ++j)
            for (int64_t l = 0; l < kLanes; ++l) row[j * kLanes + l] *= total[l];
    }
    products_ab(p, w.v.data(), n, hd, n, w.d.data());  // out = p · v
    scatter(w.d.data(), L.out(), n, g, false, a.cos, a.sin, T(1), a.out);
}

template <typename T>
PITA_INLINE void backward_group(const Views<T>& a, int64_t index, Scratch<T>& w) {
    const Layout& L = a.layout;
    const int64_t n = L.shape.n, hd = L.shape.hd;
    const Group g = load_group(a, index, w);
    gather(a.grad_out, L.out(), n, g, false, a.cos, a.sin, T(1), w.g.data());
    const T* p = a.probs + index * n * n * kLanes;
    // dv = pᵀ · g
    products_atb(p, w.g.data(), n, hd, n, w.d.data());
    scatter(w.d.data(), L.qkv(2), n, g, false, a.cos, a.sin, T(1), a.grad_qkv);
    // dp = g · vᵀ, then the softmax backward ds = p ⊙ (dp − Σ_j p dp), in place
    products_abt(w.g.data(), w.v.data(), n, n, hd, w.dp.data());
    for (int64_t i = 0; i < n; ++i) {
        const T* pi = p + i * n * kLanes;
        T* di = w.dp.data() + i * n * kLanes;
        T dot[kLanes] = {};
        for (int64_t j = 0; j < n; ++j)
            for (int64_t l = 0; l < kLanes; ++l) dot[l] += pi[j * kLanes + l] * di[j * kLanes + l];
        for (int64_t j = 0; j < n; ++j)
            for (int64_t l = 0; l < kLanes; ++l)
                di[j * kLanes + l] = pi[j * kLanes + l] * (di[j * kLanes + l] - dot[l]);
    }
    // dq = ds · k (the scale is in q's rotation), dk = dsᵀ · q
    products_ab(w.dp.data(), w.k.data(), n, hd, n, w.d.data());
    scatter(w.d.data(), L.qkv(0), n, g, true, a.cos, a.sin, a.scale, a.grad_qkv);
    products_atb(w.dp.data(), w.q.data(), n, hd, n, w.d.data());
    scatter(w.d.data(), L.qkv(1), n, g, true, a.cos, a.sin, T(1), a.grad_qkv);
}

// The group loops, compiled for AVX2 beside the baseline (pita/core/vectorize.h).
template <typename T>
PITA_INLINE void forward_range(const Views<T>& a, int64_t begin, int64_t end) {
    Scratch<T> w(a.layout.shape.n, a.layout.shape.hd);
    for (int64_t index = begin; index < end; ++index) forward_group(a, index, w);
}
template <typename T>
PITA_INLINE void backward_range(const Views<T>& a, int64_t begin, int64_t end) {
    Scratch<T> w(a.layout.shape.n, a.layout.shape.hd);
    for (int64_t index = begin; index < end; ++index) backward_group(a, index, w);
}
PITA_CLONES void forward_groups(const Views<float>& a, int64_t begin, int64_t end) {
    forward_range(a, begin, end);
}
PITA_CLONES void forward_groups(const Views<double>& a, int64_t begin, int64_t end) {
    forward_range(a, begin, end);
}
PITA_CLONES void backward_groups(const Views<float>& a, int64_t begin, int64_t end) {
    backward_range(a, begin, end);
}
PITA_CLONES void backward_groups(const Views<double>& a, int64_t begin, int64_t end) {
    backward_range(a, begin, end);
}

template <typename T>
Views<T> views(const at::Tensor& qkv, const at::Tensor& cos, const at::Tensor& sin, double scale) {
    return {Layout(check_shapes(qkv, cos, sin)),
            qkv.data_ptr<T>(),
            cos.data_ptr<T>(),
            sin.data_ptr<T>(),
            static_cast<T>(scale),
            nullptr,
            nullptr,
            nullptr,
            nullptr};
}

at::Tensor kernel_forward(const at::Tensor& qkv, const at::Tensor& cos, const at::Tensor& sin,
                          double scale, at::Tensor* probs) {
    const int64_t b = qkv.size(0), n = qkv.size(1), heads = qkv.size(3), hd = qkv.size(4);
    const int64_t groups = group_count(b * heads);
    at::Tensor out = at::empty({b, n, heads, hd}, qkv.options());
    if (probs != nullptr) *probs = at::empty({groups, n, n, kLanes}, qkv.options());
    AT_DISPATCH_FLOATING_TYPES(qkv.scalar_type(), "rotary_self_attention", [&] {
        Views<scalar_t> a = views<scalar_t>(qkv, cos, sin, scale);
        a.out = out.data_ptr<scalar_t>();
        if (probs != nullptr) a.probs = probs->data_ptr<scalar_t>();
        parallel_rows(groups, kGroupsPerChunk,
                      [&](int64_t begin, int64_t end) { forward_groups(a, begin, end); });
    });
    return out;
}

at::Tensor kernel_backward(const at::Tensor& qkv, at::Tensor probs, const at::Tensor& cos,
                           const at::Tensor& sin, double scale, const at::Tensor& grad_out) {
    at::Tensor grad_qkv = at::empty_like(qkv);
    AT_DISPATCH_FLOATING_TYPES(qkv.scalar_type(), "rotary_self_attention_backward", [&] {
        Views<scalar_t> a = views<scalar_t>(qkv, cos, sin, scale);
        a.probs = probs.data_ptr<scalar_t>();
        a.grad_out = grad_out.data_ptr<scalar_t>();
        a.grad_qkv = grad_qkv.data_ptr<scalar_t>();
        parallel_rows(group_count(qkv.size(0) * qkv.size(3)), kGroupsPerChunk,
                      [&](int64_t begin, int64_t end) { backward_groups(a, begin, end); });
    });
    return grad_qkv;
}

class RotaryAttentionFunction : public torch::autograd::Function<RotaryAttentionFunction> {
  public:
    static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& qkv_in,
                              const at::Tensor& cos, const at::Tensor& sin, double scale) {
        const at::Tensor qkv = qkv_in.contiguous();
        if (!qkv_in.requires_grad()) return kernel_forward(qkv, cos, sin, scale, nullptr);
        at::Tensor probs;
        at::Tensor out = kernel_forward(qkv, cos, sin, scale, &probs);
        // qkv_in, not its contiguous copy: the create_graph path differentiates through it.
        ctx->save_for_backward({qkv_in, probs, cos, sin});
        ctx->saved_data["scale"] = scale;
        return out;
    }

    static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                   torch::autograd::variable_list grads) {
        const auto saved = ctx->get_saved_variables();
        const at::Tensor& qkv = saved[0];
        const double scale = ctx->saved_data["scale"].toDouble();
        at::Tensor grad_qkv;
        if (at::GradMode::is_enabled()) {
            // create_graph: the gradient will itself be differentiated (the energy network's
            // distillation, the divergence of −∇U). Recompute through the composite, whose
            // graph is differentiable to any order; this costs one extra forward, on that path
            // only.
            const at::Tensor out = rotary_self_attention_composite(qkv, saved[2], saved[3], scale);
            grad_qkv = torch::autograd::grad({out}, {qkv}, {grads[0]}, /*retain_graph=*/true,
                                             /*create_graph=*/true)[0];
        } else {
            grad_qkv = kernel_backward(qkv.contiguous(), saved[1], saved[2], saved[3], scale,
                                       grads[0].contiguous());
        }
        return {grad_qkv, at::Tensor(), at::Tensor(), at::Tensor()};
    }
};

}  // namespace

at::Tensor rotary_self_attention(const at::Tensor& qkv, const at::Tensor& cos,
                                 const at::Tensor& sin, double scale) {
    check_shapes(qkv, cos, sin);
    const bool kernel = qkv.device().is_cpu() &&
                        (qkv.scalar_type() == at::kFloat || qkv.scalar_type() == at::kDouble);
    if (!kernel) return rotary_self_attention_composite(qkv, cos, sin, scale);
    return RotaryAttentionFunction::apply(qkv, cos.contiguous(), sin.contiguous(), scale);
}

at::Tensor rotary_self_attention_composite(const at::Tensor& qkv, const at::Tensor& cos,
                                           const at::Tensor& sin, double scale) {
    const Shape s = check_shapes(qkv, cos, sin);
    // [3, B, heads, n, hd] (one copy), so every product below is a plain batched GEMM.
    const at::Tensor parts = qkv.permute({2, 0, 3, 1, 4}).contiguous();
    const at::Tensor qk = apply_rotary(parts.narrow(0, 0, 2), RotaryTables{cos, sin});
    const int64_t rows = s.batch * s.heads;
    const at::Tensor q = qk.select(0, 0).reshape({rows, s.n, s.hd});
    const at::Tensor k = qk.select(0, 1).reshape({rows, s.n, s.hd});
    const at::Tensor v = parts.select(0, 2).reshape({rows, s.n, s.hd});
    const at::Tensor probs = at::softmax(at::bmm(q, k.transpose(1, 2)) * scale, -1);
    return at::bmm(probs, v).view({s.batch, s.heads, s.n, s.hd}).permute({0, 2, 1, 3}).contiguous();
}

}  // namespace pita::detail
