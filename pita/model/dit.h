#pragma once
// The diffusion transformer of the reference's ALDP/AL3 configurations (spec §3.4, DIT3D): one
// token per particle, adaLN-Zero blocks conditioned on (c_noise, β), rotary position embedding on
// the particle index.
#include "pita/model/module_backbone.h"

namespace pita {

struct DitOptions {
    int64_t n_particles = 0;  ///< N tokens (one per particle), at least 1
    int64_t spatial_dim = 3;  ///< coordinates per particle (token input and output width)
    int64_t hidden = 192;     ///< token width; a multiple of n_heads
    int64_t cond_dim = 64;    ///< width of the conditioning vector cvec
    int64_t n_blocks = 6;     ///< adaLN-Zero transformer blocks
    int64_t n_heads = 6;      ///< attention heads; head_dim = hidden / n_heads must be even (RoPE)
    int64_t mlp_ratio = 4;    ///< MLP width = mlp_ratio · hidden
    double dropout = 0.1;     ///< on both residual branches, in training mode only; in [0, 1)
    bool condition_on_time = true;         ///< embed c_noise into cvec
    bool condition_on_temperature = true;  ///< embed β into cvec (a second embedder)
    /// Add a learned vector per particle index to its token (not in the reference, whose tokens
    /// carry atom identity only through the relative RoPE positions; spec §9 item 20). Drawn
    /// after every reference layer, so the reference's initial weights are unchanged.
    bool atom_embedding = false;
};

/// F(c_noise, y, β) per spec §3.4. The output is NOT mean-free and NOT rotation-equivariant, and it
/// depends on the particle order by design: the particle index is the RoPE position, the only
/// carrier of atom identity (spec §3.4; §9 item 20). The reference relies on rotation augmentation
/// and mean-free noise instead (spec §4.4).
///
/// A fresh network outputs exactly zero (zero-initialised adaLN modulations and output layer), so
/// the preconditioned models start as the exact model of N(0, (1+h)I) (spec §3.2). All other
/// layers use LibTorch's default initialisation (identical to PyTorch's; the reference DIT3D has
/// no initialize_weights), drawn from LibTorch's global generator in the reference's creation
/// order: with condition_on_temperature, the same seed gives PyTorch's initial weights (checked
/// once against PyTorch 1.13). Dropout also draws from the global generator. Parameter names follow
/// the reference's state_dict (vocab_embed, sigma_map, sigma_map_temp, blocks.i.*, output_layer.*).
///
/// On the CPU the attention runs in pita's kernel for short sequences (rotary_attention.h; the
/// composite of ATen operations elsewhere and under create_graph), same function to round-off.
///
/// Owns its LibTorch module (pimpl) and a cache of RoPE and frequency tables per (dtype, device);
/// clone() deep-copies the parameters. forward() may be called concurrently.
class Dit final : public ModuleBackbone {
  public:
    /// @throws ConfigError listing every invalid option at once (e.g. hidden not a multiple of
    ///         n_heads, odd head_dim, dropout outside [0, 1)).
    explicit Dit(DitOptions options);
    ~Dit() override;
    Dit(Dit&&) noexcept;
    Dit& operator=(Dit&&) noexcept;

    std::string name() const override { return "dit"; }
    /// @param c_noise [batch], ln(h)/8; converted to y's dtype and device; ignored unless
    ///                condition_on_time
    /// @param y       [batch, n_particles, spatial_dim], in the dtype and on the device of the
    ///                parameters (float32 or float64; CPU or CUDA)
    /// @param beta    [batch], T_0/T; ignored unless condition_on_temperature
    /// @return        [batch, n_particles, spatial_dim], y's dtype and device
    /// @throws ConfigError on a shape, dtype or device mismatch.
    at::Tensor forward(const at::Tensor& c_noise, const at::Tensor& y,
                       const at::Tensor& beta) const override;
    std::unique_ptr<Backbone> clone() const override;
    nlohmann::json config() const override;

    const DitOptions& options() const { return options_; }

  private:
    torch::nn::Module& module() const override;

    struct Impl;
    DitOptions options_;
    std::unique_ptr<Impl> impl_;
};

}  // namespace pita
