#pragma once
// A plain MLP backbone for low-dimensional targets (GMM, DW-4, tests): the flattened coordinates
// and the conditioning scalars in, one vector per particle out.
#include "pita/model/module_backbone.h"

namespace pita {

struct MlpOptions {
    int64_t n_particles = 1;
    int64_t spatial_dim = 2;
    int64_t hidden = 128;
    int64_t n_layers = 3;  ///< hidden layers (SiLU after each)
    bool condition_on_time = true;
    bool condition_on_temperature = true;
    bool mean_free_output = false;  ///< project the output to zero centroid (particle systems)
};

/// The output layer starts at zero, so a fresh model is the exact model of N(0, (1+h)I) (the DiT
/// of the reference does the same; spec §3.2).
class Mlp final : public ModuleBackbone {
  public:
    explicit Mlp(MlpOptions options);
    ~Mlp() override;

    std::string name() const override { return "mlp"; }
    at::Tensor forward(const at::Tensor& c_noise, const at::Tensor& y,
                       const at::Tensor& beta) const override;
    std::unique_ptr<Backbone> clone() const override;
    nlohmann::json config() const override;

  private:
    torch::nn::Module& module() const override;

    struct Impl;
    MlpOptions options_;
    std::unique_ptr<Impl> impl_;
};

}  // namespace pita
