#pragma once
// The energy model (spec §3.2): a scalar U_θ(x, h, β) whose gradient is a score,
//   U = |x|²/(2(1+h)) − (1/σ)·⟨F(c_noise, c_in·x, β), c_in·x⟩,   σ = sqrt(h),
// so a zero backbone gives the energy of N(0, (1+h)I). Its denoiser is D_E = x − h·∇_x U.
#include <memory>

#include <ATen/core/Tensor.h>  // EnergyModelOutputs holds tensors by value

#include "pita/model/backbone.h"

namespace pita {

/// Requested derivatives of U.
enum class EnergyWant : unsigned { Energy = 0, GradX = 1, DEnergyDh = 2, GradXAndDh = 3 };

struct EnergyModelOutputs {
    at::Tensor energy;  ///< U, [batch]
    at::Tensor grad_x;  ///< ∇_x U, [batch, n, d] (undefined unless asked)
    at::Tensor du_dh;   ///< ∂U/∂h, [batch] (undefined unless asked)
};

class EnergyModel {
  public:
    explicit EnergyModel(std::unique_ptr<Backbone> backbone);

    /// @param x    [batch, n_particles, spatial_dim]
    /// @param h    [batch] or 0-d, σ² > 0
    /// @param beta [batch] or 0-d
    at::Tensor energy(const at::Tensor& x, const at::Tensor& h, const at::Tensor& beta) const;
    /// U and the requested derivatives by autograd. `create_graph` keeps them differentiable
    /// (training losses on ∇U need second-order gradients w.r.t. the parameters).
    EnergyModelOutputs evaluate(const at::Tensor& x, const at::Tensor& h, const at::Tensor& beta,
                                EnergyWant want, bool create_graph) const;
    /// D_E = x − h·∇_x U (differentiable when create_graph).
    at::Tensor denoise(const at::Tensor& x, const at::Tensor& h, const at::Tensor& beta,
                       bool create_graph) const;

    Backbone& backbone() { return *backbone_; }
    const Backbone& backbone() const { return *backbone_; }

  private:
    std::unique_ptr<Backbone> backbone_;
};

}  // namespace pita
