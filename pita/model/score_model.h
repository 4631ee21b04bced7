#pragma once
// The score model (spec §3.1): the EDM denoiser D_S = c_skip·x + c_out·F(c_noise, c_in·x, β) and
// its score s = (D_S − x)/h, the learned ∇ log p_h at noise variance h.
#include <memory>

#include "pita/model/backbone.h"

namespace pita {

class ScoreModel {
  public:
    /// @param sigma_data  the preconditioning's σ_data (preconditioning.h); 1 = the reference
    explicit ScoreModel(std::unique_ptr<Backbone> backbone, double sigma_data = 1.0);

    /// @param x    [batch, n_particles, spatial_dim]
    /// @param h    [batch] or 0-d, noise variance σ² > 0
    /// @param beta [batch] or 0-d, relative inverse temperature
    /// @return D_S, same shape as x
    at::Tensor denoise(const at::Tensor& x, const at::Tensor& h, const at::Tensor& beta) const;
    /// s = (D_S − x)/h, same shape as x.
    at::Tensor score(const at::Tensor& x, const at::Tensor& h, const at::Tensor& beta) const;

    double sigma_data() const { return sigma_data_; }
    Backbone& backbone() { return *backbone_; }
    const Backbone& backbone() const { return *backbone_; }

  private:
    std::unique_ptr<Backbone> backbone_;
    double sigma_data_;
};

}  // namespace pita
