#pragma once
// The E(n)-equivariant graph network of the reference's LJ-13 configuration (spec §3.3), with the
// node-feature bug of spec §9.3 fixed.
#include "pita/model/module_backbone.h"

namespace pita {

struct EgnnOptions {
    int64_t n_particles = 0;  ///< N, at least 2 (the graph is fully connected, all i≠j)
    int64_t spatial_dim = 3;
    int64_t hidden = 32;    ///< width of h and of every hidden layer
    int64_t n_layers = 3;   ///< E_GCL layers
    bool attention = true;  ///< gate each message by sigmoid(Lin(m_ij))
    bool tanh = true;       ///< bound the coordinate step: (coords_range/n_layers)·tanh(·)
    double coords_range = 15.0;
    bool condition_on_time = true;         ///< node feature c_noise
    bool condition_on_temperature = true;  ///< node feature β
    /// Add a learned vector per particle index to the initial node features, so the network can
    /// tell the atoms of a molecule apart (then it is no longer permutation-equivariant; it stays
    /// E(3)-equivariant). Not in the reference, whose EGNN is for identical LJ particles.
    bool atom_embedding = false;
};

/// F(c_noise, y, β) = p_final − y, projected to zero mean over particles. Rotation- and
/// permutation-equivariant, translation-invariant. Owns its LibTorch module (pimpl); clone()
/// deep-copies it. Parameters are initialised from LibTorch's global generator, like every
/// torch::nn layer (seed it with torch::manual_seed in the caller for reproducibility).
class Egnn final : public ModuleBackbone {
  public:
    /// @throws ConfigError when n_particles < 2, spatial_dim < 1, hidden < 1, n_layers < 1 or
    ///         coords_range <= 0.
    explicit Egnn(EgnnOptions options);
    ~Egnn() override;
    Egnn(Egnn&&) noexcept;
    Egnn& operator=(Egnn&&) noexcept;

    std::string name() const override { return "egnn"; }
    /// @param c_noise [batch], ln(h)/8
    /// @param y       [batch, n_particles, spatial_dim], in the dtype and on the device of the
    ///                parameters
    /// @param beta    [batch], T_0/T
    /// @return        [batch, n_particles, spatial_dim], mean-free over particles
    /// @throws ConfigError on a shape mismatch.
    at::Tensor forward(const at::Tensor& c_noise, const at::Tensor& y,
                       const at::Tensor& beta) const override;
    std::unique_ptr<Backbone> clone() const override;
    nlohmann::json config() const override;

    const EgnnOptions& options() const { return options_; }

  private:
    torch::nn::Module& module() const override;

    struct Impl;
    EgnnOptions options_;
    std::unique_ptr<Impl> impl_;
};

}  // namespace pita
