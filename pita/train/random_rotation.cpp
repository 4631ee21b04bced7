#include "pita/train/random_rotation.h"

#include <cmath>

#include <ATen/ATen.h>

namespace pita {

at::Tensor random_rotations(int64_t n, at::Generator& gen, const at::TensorOptions& options) {
    // A normalised 4-D Gaussian is a uniform unit quaternion; q and −q give the same rotation.
    at::Tensor q = at::randn({n, 4}, gen, options);
    q = q / q.norm(2, 1, true);
    const at::Tensor w = q.select(1, 0), x = q.select(1, 1), y = q.select(1, 2), z = q.select(1, 3);
    return at::stack({1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w),
                      2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w),
                      2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)},
                     1)
        .view({n, 3, 3});
}

at::Tensor rotate(const at::Tensor& x, const at::Tensor& r) {
    return at::matmul(x, r.transpose(1, 2));
}

}  // namespace pita
