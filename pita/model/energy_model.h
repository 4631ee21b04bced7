#pragma once
// The energy model (spec §3.2): a scalar U_θ(x, h, β) whose gradient is a score,
//   U = |x|²/(2(s+h)) − sqrt(s/h)·⟨F(c_noise, c_in·x, β), c_in·x⟩,   s = σ_data² (1 in the spec),
// so a zero backbone gives the energy of N(0, (s+h)I). Its denoiser is D_E = x − h·∇_x U.
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
    /// @param sigma_data  the preconditioning's σ_data (preconditioning.h); 1 = the reference
    explicit EnergyModel(std::unique_ptr<Backbone> backbone, double sigma_data = 1.0);

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

    double sigma_data() const { return sigma_data_; }
    Backbone& backbone() { return *backbone_; }
    const Backbone& backbone() const { return *backbone_; }

  private:
    std::unique_ptr<Backbone> backbone_;
    double sigma_data_;
};

}  // namespace pita
