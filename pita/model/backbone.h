#pragma once
// The network inside both preconditioned models (spec §3): F_θ(c_noise, y, β) → one vector per
// particle. Implementations keep their LibTorch modules behind this interface (pimpl), so
// including this header costs no <torch/torch.h>.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "pita/core/tensor_fwd.h"

namespace pita {

/// Parameter tensors with stable names, in a stable order (optimizers, EMA, checkpoints).
using NamedTensors = std::vector<std::pair<std::string, at::Tensor>>;

class Backbone {
  public:
    virtual ~Backbone() = default;
    virtual std::string name() const = 0;

    /// F(c_noise, y, β).
    /// @param c_noise [batch], the noise embedding input ln(h)/8
    /// @param y       [batch, n_particles, spatial_dim], preconditioned coordinates c_in·x
    /// @param beta    [batch], relative inverse temperature T_0/T (ignored when not conditioned)
    /// @return        [batch, n_particles, spatial_dim], y's dtype and device; differentiable
    virtual at::Tensor forward(const at::Tensor& c_noise, const at::Tensor& y,
                               const at::Tensor& beta) const = 0;

    /// Trainable parameters (they require grad), stable names and order.
    virtual NamedTensors named_parameters() const = 0;
    /// A deep copy with its own parameters (spec §3: the energy net starts as a copy of the
    /// score net).
    virtual std::unique_ptr<Backbone> clone() const = 0;
    /// Moves parameters and buffers.
    virtual void to(c10::Device device, c10::ScalarType dtype) = 0;
    /// Training mode enables dropout where the architecture has it.
    virtual void train(bool on) = 0;
    virtual nlohmann::json config() const = 0;
};

}  // namespace pita
