#pragma once
// Analytic densities whose Gaussian-noised marginals p_h = p * N(0, h·I) are known exactly.
// They are the oracles for training and annealing tests: a diffusion model's score at noise
// variance h must equal score(x, h), its energy −log_prob(x, h) up to a constant.
#include <cstdint>

#include "pita/core/tensor_fwd.h"

namespace pita {

/// Shapes: x is [batch, dim] (flat), any floating dtype and device; h is a tensor broadcastable
/// to [batch] (a 0-d tensor for one noise level, or one variance per row), h >= 0.
class NoisedDensity {
  public:
    virtual ~NoisedDensity() = default;
    /// Flat dimension of x.
    virtual int64_t flat_dim() const = 0;
    /// log p_h(x), normalised. @return [batch]
    virtual at::Tensor log_prob(const at::Tensor& x, const at::Tensor& h) const = 0;
    /// ∇_x log p_h(x). @return [batch, dim]
    virtual at::Tensor score(const at::Tensor& x, const at::Tensor& h) const = 0;
    /// Δ_x log p_h(x) = div score. @return [batch]
    virtual at::Tensor laplacian(const at::Tensor& x, const at::Tensor& h) const = 0;
    /// ∂/∂h log p_h(x). @return [batch]
    virtual at::Tensor dlogp_dh(const at::Tensor& x, const at::Tensor& h) const = 0;
    /// n exact samples of p_h. @return [n, dim], float64, CPU
    virtual at::Tensor sample(int64_t n, double h, at::Generator& gen) const = 0;
};

}  // namespace pita
