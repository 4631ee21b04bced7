#include "pita/model/rotary.h"

#include <vector>

#include <ATen/ATen.h>

#include "pita/core/error.h"

namespace pita::detail {

RotaryTables rotary_tables(int64_t n, int64_t head_dim, c10::ScalarType dtype, c10::Device device,
                           int64_t position_offset, double base) {
    PITA_CHECK(head_dim > 0 && head_dim % 2 == 0,
               "[rotary] head_dim: got {}; expected a positive even number (channels are rotated "
               "in pairs).",
               head_dim);
    PITA_CHECK(n >= 0, "[rotary] number of positions: got {}; expected >= 0.", n);
    const at::TensorOptions f64 = at::TensorOptions().dtype(at::kDouble);
    const at::Tensor positions = at::arange(position_offset, position_offset + n, f64);
    // θ_i = base^(−2i/head_dim), i = 0 … head_dim/2 − 1
    const at::Tensor theta =
        at::pow(base, at::arange(0, head_dim, 2, f64) / static_cast<double>(-head_dim));
    const at::Tensor angle = at::outer(positions, theta);  // [n, head_dim/2]
    const at::Tensor c = angle.cos();
    const at::Tensor s = angle.sin();
    const at::TensorOptions out = at::TensorOptions().dtype(dtype).device(device);
    return {at::stack({c, c}, -1).reshape({n, head_dim}).to(out),
            at::stack({-s, s}, -1).reshape({n, head_dim}).to(out)};
}

at::Tensor apply_rotary(const at::Tensor& x, const RotaryTables& tables) {
    const int64_t head_dim = x.size(-1);
    PITA_ASSERT(head_dim % 2 == 0, "apply_rotary: odd head_dim {}", head_dim);
    std::vector<int64_t> pairs = x.sizes().vec();
    pairs.back() = head_dim / 2;
    pairs.push_back(2);
    const at::Tensor swapped = x.reshape(pairs).flip({-1}).reshape(x.sizes());
    return at::addcmul(x * tables.cos, swapped, tables.sin_signed);
}

at::Tensor apply_rotary(const at::Tensor& x, int64_t position_offset, double base) {
    PITA_CHECK(x.dim() >= 2, "[rotary] x: got {} dimensions; expected [..., n, head_dim].",
               x.dim());
    return apply_rotary(x, rotary_tables(x.size(-2), x.size(-1), x.scalar_type(), x.device(),
                                         position_offset, base));
}

}  // namespace pita::detail
