#!/usr/bin/env python3
"""PyTorch baseline for the C++ training-step benchmark: ONE optimizer step of pita's trainer
(pita/train/trainer.cpp, Trainer::step), ported op for op to PyTorch so that both sides do the
same computation. Run with Debian's python3-torch (the same LibTorch 1.13 build pita links):

    /usr/bin/python3 bench/baselines/train_step_torch.py            # full run (~3 min, 2 cores)
    /usr/bin/python3 bench/baselines/train_step_torch.py --quick    # smoke test (batch 32, ~15 s)
    /usr/bin/python3 bench/baselines/train_step_torch.py --cases egnn_lj13 --batches 128 --threads 1

Cases (spec §2-§4, Appendix A; PITA-SPEC.md in /work/shared/docs):
  egnn_lj13   LJ-13 (13 × 3), EGNN hidden 32 / 3 layers / attention / tanh / coords_range 15 with
              the node features fixed (every node gets (c_noise, β), egnn.cpp), σ_min 0.05,
              loss weights score 1, energy_score 1, energy_matching 1, target_score 0.
  dit_aldp22  22 atoms × 3 (ALDP-sized), DiT 192 / cond 64 / 6 blocks / 6 heads / mlp 4 /
              dropout 0.1 (train mode), σ_min 0.01, weights 1, 1, 1 and target_score 0.01 below
              h(t = 0.2).
  dit_aldp_cpu        configs/aldp.yaml's DiT: 64 / cond 32 / 3 blocks / 4 heads / mlp 2, no
                      dropout, no β-conditioning, a learned per-atom embedding; σ_min 0.01; weights
                      score 1, energy_score 1, energy_matching 0, target_score 0.01 (both networks:
                      the config until session 16).
  dit_aldp_cpu_score  the same with energy_score 0: no loss trains the energy network, which is
                      then never evaluated (configs/aldp.yaml since session 16).

One step = sample a batch (uniform, with replacement) from a replay buffer, Haar random rotation per
sample (positions and forces), mean-free noise and data, h from ln σ ~ N(−1.2, 1.2²), the losses
(denoising score matching, [target score matching], energy-score distillation with second-order
autograd, energy matching at h = σ_min²), backward, global grad-norm clip 0.5, Adam (lr 1e-3) over
both nets, EMA update of both nets. float32 throughout; β = 1 for every row.

The EGNN and the DiT follow pita's formulation (egnn.cpp's dense pair tensors, dit.cpp's op
sequence), not the reference's Python code; see bench/baselines/README.md.

Prints one JSON line per (case, batch, threads) to stdout; parameter counts and progress go to
stderr. The timed quantity is the median wall time of individual steps. On a busy machine, run
this and pita_bench with the same OMP_WAIT_POLICY: libgomp's default spin-waiting made 2-thread
steps 10-40× slower here while other jobs held the cores (PASSIVE avoids that).
"""
import argparse
import copy
import json
import math
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

DTYPE = torch.float32


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# ------------------------------------------------------------------------------------------------
# Noise schedule (pita/schedule/noise_schedule.cpp, spec §2): elucidating / EDM ρ-schedule.
# ------------------------------------------------------------------------------------------------
class ElucidatingSchedule:
    def __init__(self, sigma_min, sigma_max=80.0, rho=7.0, p_mean=-1.2, p_std=1.2):
        self.sigma_min, self.rho, self.p_mean, self.p_std = sigma_min, rho, p_mean, p_std
        self.a = sigma_max ** (1.0 / rho)
        self.b = sigma_min ** (1.0 / rho) - self.a

    def h(self, t):
        """h(t) = (a + (1 − t)·b)^{2ρ} (scalar)."""
        return (self.a + (1.0 - t) * self.b) ** (2.0 * self.rho)

    def sample_training_h(self, n, gen):
        # As NoiseSchedule::sample_training_h: ln σ drawn in float64, h = exp(2 ln σ), then cast.
        # Not clamped to [σ_min, σ_max] (neither is the reference).
        log_sigma = torch.randn(n, generator=gen, dtype=torch.float64) * self.p_std + self.p_mean
        return (2.0 * log_sigma).exp().to(DTYPE)


# ------------------------------------------------------------------------------------------------
# Preconditioned models (pita/model/preconditioning.cpp, score_model.cpp, energy_model.cpp).
# ------------------------------------------------------------------------------------------------
def precondition(h):
    """EDM preconditioning, σ_data = 1 (spec §3.1).
    h [B] -> c_skip, c_in, c_out [B,1,1], c_noise [B]."""
    h3 = h.view(-1, 1, 1)
    c_skip = 1.0 / (1.0 + h3)
    c_in = (1.0 + h3).rsqrt()
    c_out = h3.sqrt() * c_in
    c_noise = h.log() / 8.0
    return c_skip, c_in, c_out, c_noise


class ScoreModel:
    """D_S = c_skip·x + c_out·F(c_noise, c_in·x, β) (ScoreModel::denoise)."""

    def __init__(self, backbone):
        self.backbone = backbone

    def denoise(self, x, h, beta):
        c_skip, c_in, c_out, c_noise = precondition(h)
        f = self.backbone(c_noise, c_in * x, beta)
        return c_skip * x + c_out * f


class EnergyModel:
    """U = |x|²/(2(1+h)) − (1/σ)⟨F(c_noise, c_in x, β), c_in x⟩ and D_E = x − h∇_x U (spec §3.2)."""

    def __init__(self, backbone):
        self.backbone = backbone

    def energy(self, x, h, beta):  # EnergyModel::energy, [B]
        # precondition() also forms c_skip and c_out, unused here (as in energy_model.cpp).
        _, c_in, _, c_noise = precondition(h)
        y = c_in * x
        f = self.backbone(c_noise, y, beta)
        quadratic = x.pow(2).sum((1, 2)) / (2.0 * (1.0 + h))
        return quadratic - (f * y).sum((1, 2)) / h.sqrt()

    def denoise(self, x, h, beta, create_graph):
        # EnergyModel::evaluate(GradX) + denoise: x (which does not require grad in training) is
        # replaced by a fresh leaf, ∇_x U by autograd on U.sum() (rows are independent), with
        # create_graph so the loss can be differentiated w.r.t. the parameters (double backward).
        x_leaf = x.detach().requires_grad_(True)
        u = self.energy(x_leaf, h, beta)
        (grad_x,) = torch.autograd.grad(u.sum(), [x_leaf], retain_graph=True,
                                        create_graph=create_graph)
        return x - h.view(-1, 1, 1) * grad_x


# ------------------------------------------------------------------------------------------------
# EGNN (pita/model/egnn.cpp, spec §3.3) in pita's dense [B, N, N, ·] form.
# ------------------------------------------------------------------------------------------------
class Egcl(nn.Module):
    """One E_GCL layer. Submodule names follow the reference (edge_mlp.0, node_mlp.2, ...)."""

    def __init__(self, hidden, attention=True, tanh=True, coords_range_layer=5.0):
        super().__init__()
        self.hidden, self.attention, self.tanh = hidden, attention, tanh
        self.coords_range = coords_range_layer
        # [h_i, h_j, radial_ij, edge_attr_ij] -> hidden -> hidden
        self.edge_mlp = nn.Sequential(nn.Linear(2 * hidden + 2, hidden), nn.SiLU(),
                                      nn.Linear(hidden, hidden), nn.SiLU())
        self.node_mlp = nn.Sequential(nn.Linear(2 * hidden, hidden), nn.SiLU(),
                                      nn.Linear(hidden, hidden))
        coord_last = nn.Linear(hidden, 1, bias=False)
        nn.init.xavier_uniform_(coord_last.weight, gain=0.001)
        self.coord_mlp = nn.Sequential(nn.Linear(hidden, hidden), nn.SiLU(), coord_last)
        if attention:
            self.att_mlp = nn.Sequential(nn.Linear(hidden, 1))  # sigmoid applied in forward

    def forward(self, h, p, edge_attr, off_diag, update_nodes):
        """h [B,N,H], p [B,N,d], edge_attr [B,N,N,1], off_diag [N,N,1] -> (h', p')."""
        diff = p.unsqueeze(2) - p.unsqueeze(1)  # p_i − p_j
        radial = diff.pow(2).sum(-1, keepdim=True)
        diff_n = diff / ((radial + 1e-8).sqrt() + 1.0)  # norm_diff

        # As egnn.cpp: the first edge layer on cat([h_i, h_j, radial, edge_attr]) is split by
        # input block, so the h terms cost N rows instead of N² (same function and parameters).
        edge_in, edge_out = self.edge_mlp[0], self.edge_mlp[2]
        w, H = edge_in.weight, self.hidden
        a_i = torch.matmul(h, w.narrow(1, 0, H).t())
        a_j = torch.matmul(h, w.narrow(1, H, H).t())
        pre = (a_i.unsqueeze(2) + a_j.unsqueeze(1) + radial * w.select(1, 2 * H)
               + edge_attr * w.select(1, 2 * H + 1) + edge_in.bias)
        m = F.silu(edge_out(F.silu(pre)))
        if self.attention:
            m = m * torch.sigmoid(self.att_mlp(m))

        phi_x = self.coord_mlp(m)  # [B,N,N,1]
        if self.tanh:
            phi_x = self.coords_range * torch.tanh(phi_x)
        p_next = p + (diff_n * phi_x).sum(2)  # diff_ii = 0, so the diagonal adds nothing

        if not update_nodes:
            return h, p_next
        m_agg = (m * off_diag).sum(2)  # sum aggregation over j ≠ i
        h_next = h + self.node_mlp(torch.cat([h, m_agg], -1))
        return h_next, p_next


class Egnn(nn.Module):
    """F(c_noise, y, β) = p_final − y, mean-free over particles (Egnn::forward)."""

    def __init__(self, n_particles, hidden=32, n_layers=3, attention=True, tanh=True,
                 coords_range=15.0):
        super().__init__()
        self.n = n_particles
        # in_node_nf = 2: (c_noise, β). The reference's embedding_out (hidden -> 2, 66 params)
        # never reaches the output; egnn.cpp leaves it out, and so does this port.
        self.embedding_in = nn.Linear(2, hidden)
        self.layers = nn.ModuleList(
            [Egcl(hidden, attention, tanh, coords_range / n_layers) for _ in range(n_layers)])
        self.register_buffer("off_diag", (1.0 - torch.eye(n_particles)).unsqueeze(-1),
                             persistent=False)

    def forward(self, c_noise, y, beta):
        B, n = y.shape[0], self.n
        # Node-feature bug FIXED (spec §9.3): every node gets the same (c_noise, β).
        h0 = torch.cat([c_noise.reshape(B, 1), beta.reshape(B, 1)], 1).unsqueeze(1).expand(B, n, 2)
        h = self.embedding_in(h0)
        p = y
        edge_attr = (y.unsqueeze(2) - y.unsqueeze(1)).pow(2).sum(-1, keepdim=True)
        # egnn.cpp builds off_diag (1 − eye) on every call; here it is a buffer (negligible).
        for l, layer in enumerate(self.layers):
            # The last layer's node update cannot reach the output; egnn.cpp skips it.
            h, p = layer(h, p, edge_attr, self.off_diag, l + 1 < len(self.layers))
        out = p - y
        return out - out.mean(1, keepdim=True)


# ------------------------------------------------------------------------------------------------
# DiT (pita/model/dit.cpp + rotary.cpp; spec §3.4, the reference's DIT3D). Written with the same
# op sequence as dit.cpp (addmm/mm/bmm, addcmul-folded modulation, RoPE tables with the attention
# scale folded into q's half), so both sides run the same kernels. Module and parameter names
# follow the reference's state_dict, and modules are created in the reference's order.
# ------------------------------------------------------------------------------------------------
FREQ_EMBED = 256  # sinusoidal embedding size of c_noise and β


class ChannelWeight(nn.Module):
    """The learnable per-channel weight (no bias) that follows the affine-free layer norm."""

    def __init__(self, dim):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))


def zero_linear(n_in, n_out):
    layer = nn.Linear(n_in, n_out)  # drawn, then zeroed: the generator advances as the reference
    nn.init.zeros_(layer.weight)
    nn.init.zeros_(layer.bias)
    return layer


def linear_2d(layer, x):  # at::addmm(bias, x, W^T) on [rows, in]
    return torch.addmm(layer.bias, x, layer.weight.t())


def modulated_norm(x, w, shift, scale):
    """LN(x)·w·(1 + scale) + shift, LN affine-free with eps 1e-5, folded as dit.cpp does.
    x [B,N,H], w [H], shift/scale [B,1,H] -> [B·N, H]."""
    H = x.shape[2]
    normed = F.layer_norm(x, [H], None, None, 1e-5)
    return torch.addcmul(shift, normed, torch.addcmul(w, w, scale)).reshape(-1, H)


def gated_residual(x, gate, branch, dropout):
    """x + gate ⊙ Dropout(branch); x [B,N,H], gate [B,1,H], branch [B·N,H].

    As dit.cpp on CPU: the mask is a uniform draw compared with p and the 1/(1−p) is folded into
    the gate (dit.cpp measured 2.2 vs 5.2 ms for torch.dropout's serial bernoulli_ on
    [128, 22, 192]); same distribution as the reference's F.dropout, different kernels."""
    b = branch.view(x.shape)
    if dropout <= 0.0:
        return torch.addcmul(x, gate, b)
    return torch.addcmul(x, gate * (1.0 / (1.0 - dropout)), b * (torch.rand_like(b) >= dropout))


def rotary_tables(n, head_dim, base=10000.0):
    """torchtune's interleaved-pair RoPE: channels (2i, 2i+1) at position p rotated by
    p·base^(−2i/head_dim). Angles in float64, as rotary.cpp. -> cos, sin_signed [n, head_dim]."""
    pos = torch.arange(n, dtype=torch.float64)
    theta = torch.pow(base, torch.arange(0, head_dim, 2, dtype=torch.float64) / -head_dim)
    angle = torch.outer(pos, theta)
    c, s = angle.cos(), angle.sin()
    return (torch.stack([c, c], -1).reshape(n, head_dim),
            torch.stack([-s, s], -1).reshape(n, head_dim))


def apply_rotary(x, cos, sin_signed):
    """out = x·cos + swap_pairs(x)·sin_signed (rotary.cpp)."""
    hd = x.shape[-1]
    swapped = x.reshape(*x.shape[:-1], hd // 2, 2).flip(-1).reshape(x.shape)
    return torch.addcmul(x * cos, swapped, sin_signed)


class TimestepEmbedder(nn.Module):
    """Sinusoidal embedding (256) -> Lin(256→cond) -> SiLU -> Lin(cond→cond)."""

    def __init__(self, cond_dim):
        super().__init__()
        self.mlp = nn.Sequential(nn.Linear(FREQ_EMBED, cond_dim), nn.SiLU(),
                                 nn.Linear(cond_dim, cond_dim))

    def forward(self, t, freqs):  # t [B], freqs [128] -> [B, cond]
        args = torch.outer(t, freqs)
        emb = torch.cat([args.cos(), args.sin()], 1)
        return linear_2d(self.mlp[2], F.silu(linear_2d(self.mlp[0], emb)))


class DitBlock(nn.Module):
    """adaLN-Zero block (the reference's DDiTBlock; dit.cpp DitBlockImpl)."""

    def __init__(self, hidden, cond_dim, mlp_ratio):
        super().__init__()
        self.norm1 = ChannelWeight(hidden)
        self.attn_qkv = nn.Linear(hidden, 3 * hidden, bias=False)
        self.attn_out = nn.Linear(hidden, hidden, bias=False)
        self.norm2 = ChannelWeight(hidden)
        self.mlp = nn.Sequential(nn.Linear(hidden, mlp_ratio * hidden), nn.GELU(approximate="tanh"),
                                 nn.Linear(mlp_ratio * hidden, hidden))
        self.adaLN_modulation = zero_linear(cond_dim, 6 * hidden)

    def forward(self, x, cvec, n_heads, rope_cos, rope_sin, dropout):
        b, n, h = x.shape
        hd = h // n_heads
        # [shift_msa, scale_msa, gate_msa, shift_mlp, scale_mlp, gate_mlp], each [B, 1, H]
        mod = linear_2d(self.adaLN_modulation, cvec).view(b, 6, h)
        chunk = [mod.narrow(1, k, 1) for k in range(6)]

        # Attention: qkv viewed as (3, heads, head_dim) per token, laid out [3, B, heads, N, hd].
        a = modulated_norm(x, self.norm1.weight, chunk[0], chunk[1])
        qkv = torch.mm(a, self.attn_qkv.weight.t()).view(b, n, 3, n_heads, hd) \
                   .permute(2, 0, 3, 1, 4).contiguous()
        qk = apply_rotary(qkv.narrow(0, 0, 2), rope_cos, rope_sin)  # q already · 1/sqrt(hd)
        q = qk.select(0, 0).view(b * n_heads, n, hd)
        k = qk.select(0, 1).view(b * n_heads, n, hd)
        v = qkv.select(0, 2).view(b * n_heads, n, hd)
        # Plain bmm + softmax (1.13 has no scaled_dot_product_attention); no attention dropout
        # (the reference adds an all-zero bias and dropout p = 0: no-ops, omitted as in dit.cpp).
        probs = torch.softmax(torch.bmm(q, k.transpose(1, 2)), -1)
        attended = torch.bmm(probs, v).view(b, n_heads, n, hd).permute(0, 2, 1, 3).reshape(b * n, h)
        x1 = gated_residual(x, chunk[2], torch.mm(attended, self.attn_out.weight.t()), dropout)

        # MLP: Lin(H→rH) → GELU(tanh) → Lin(rH→H)
        m = modulated_norm(x1, self.norm2.weight, chunk[3], chunk[4])
        inner = F.gelu(linear_2d(self.mlp[0], m), approximate="tanh")
        return gated_residual(x1, chunk[5], linear_2d(self.mlp[2], inner), dropout)


class FinalLayer(nn.Module):
    def __init__(self, hidden, out_dim, cond_dim):
        super().__init__()
        self.norm_final = ChannelWeight(hidden)
        self.linear = zero_linear(hidden, out_dim)
        self.adaLN_modulation = zero_linear(cond_dim, 2 * hidden)


class Dit(nn.Module):
    """F(c_noise, y, β) -> [B, N, d]: one token per particle, RoPE on the particle index, no
    mean-free projection. A fresh network outputs exactly 0 (adaLN-Zero, zero output layer)."""

    def __init__(self, n_particles, hidden=192, cond_dim=64, n_blocks=6, n_heads=6, mlp_ratio=4,
                 dropout=0.1, condition_on_temperature=True, spatial_dim=3, atom_embedding=False):
        super().__init__()
        self.n, self.d, self.hidden, self.n_heads = n_particles, spatial_dim, hidden, n_heads
        self.dropout, self.cond_dim = dropout, cond_dim
        self.condition_on_temperature = condition_on_temperature
        self.vocab_embed = nn.Linear(spatial_dim, hidden)
        self.sigma_map = TimestepEmbedder(cond_dim)
        # As dit.cpp: the β embedder exists only when conditioning on temperature (the reference
        # always builds it); with it the count is spec §3.5's 3,179,267.
        if condition_on_temperature:
            self.sigma_map_temp = TimestepEmbedder(cond_dim)
        self.blocks = nn.ModuleList(
            [DitBlock(hidden, cond_dim, mlp_ratio) for _ in range(n_blocks)])
        self.output_layer = FinalLayer(hidden, spatial_dim, cond_dim)
        # dit.cpp's atom_embedding: a learned [N, H] table added to the token embeddings.
        self.atom_embed = (nn.Parameter(torch.randn(n_particles, hidden) * 0.5)
                           if atom_embedding else None)
        # Constant tables (dit.cpp make_tables): frequencies exp(−ln(10000)·k/128) in float64,
        # RoPE for q and k stacked [2, 1, 1, N, hd] with 1/sqrt(hd) folded into q's half.
        half = FREQ_EMBED // 2
        freqs = torch.exp(torch.arange(0, half, dtype=torch.float64) * (-math.log(10000.0) / half))
        hd = hidden // n_heads
        cos, sin = rotary_tables(n_particles, hd)
        scale = 1.0 / math.sqrt(hd)

        def qk(t):
            return torch.stack([t * scale, t]).view(2, 1, 1, n_particles, hd)

        self.register_buffer("freqs", freqs.float(), persistent=False)
        self.register_buffer("rope_cos", qk(cos).float(), persistent=False)
        self.register_buffer("rope_sin", qk(sin).float(), persistent=False)

    def forward(self, c_noise, y, beta):
        batch, n, d, h = y.shape[0], self.n, self.d, self.hidden
        cvec = self.sigma_map(c_noise.reshape(batch).to(y.dtype), self.freqs)
        if self.condition_on_temperature:
            cvec = cvec + self.sigma_map_temp(beta.reshape(batch).to(y.dtype), self.freqs)
        cvec = F.silu(cvec)
        x = linear_2d(self.vocab_embed, y.reshape(batch * n, d)).view(batch, n, h)
        if self.atom_embed is not None:
            x = x + self.atom_embed
        dropout = self.dropout if self.training else 0.0
        for block in self.blocks:
            x = block(x, cvec, self.n_heads, self.rope_cos, self.rope_sin, dropout)
        last = self.output_layer
        mod = linear_2d(last.adaLN_modulation, cvec).view(batch, 2, h)
        a = modulated_norm(x, last.norm_final.weight, mod.narrow(1, 0, 1), mod.narrow(1, 1, 1))
        return linear_2d(last.linear, a).view(batch, n, d)


# ------------------------------------------------------------------------------------------------
# Losses (pita/train/losses.cpp, spec §4.3).
# ------------------------------------------------------------------------------------------------
def compute_losses(score_model, energy_model, batch, h, noise, opt):
    w = opt["weights"]
    h3 = h.view(-1, 1, 1)
    x_t = batch["x0"] + h3.sqrt() * noise
    lam = (1.0 + h) / h  # λ(h), the EDM weight for σ_data = 1

    def squared(v):
        return v.pow(2).sum((1, 2))

    terms = {}
    total = torch.zeros((), dtype=DTYPE)
    d_s = None
    if w["score"] > 0 or w["target_score"] > 0 or w["energy_score"] > 0:
        d_s = score_model.denoise(x_t, h, batch["beta"])
    if w["score"] > 0:  # DSM, zero below h(score threshold), mean over the whole batch
        keep = (h >= opt["score_h_threshold"]).to(h.dtype)
        terms["score"] = (keep * lam * squared(d_s - batch["x0"])).mean()
        total = total + w["score"] * terms["score"]
    if w["target_score"] > 0:  # TSM, only h < h(0.2), mean over those rows, no λ
        keep = h < opt["tsm_h_threshold"]
        norm = batch["grad_log_p0"].flatten(1).norm(2, 1).view(-1, 1, 1)
        f0 = batch["grad_log_p0"] * (opt["max_score_norm"] / norm).clamp_max(1.0)
        per_row = squared(x_t + h3 * f0 - d_s)
        n = keep.sum()
        terms["target_score"] = ((per_row * keep.to(per_row.dtype)).sum() / n.to(per_row.dtype)
                                 if n.item() > 0 else torch.zeros((), dtype=per_row.dtype))
        total = total + w["target_score"] * terms["target_score"]
    if w["energy_score"] > 0:  # distillation D_E -> stopgrad D_S, second-order autograd
        d_e = energy_model.denoise(x_t, h, batch["beta"], create_graph=True)
        terms["energy_score"] = (lam * squared(d_e - d_s.detach())).mean()
        total = total + w["energy_score"] * terms["energy_score"]
    if w["energy_matching"] > 0:  # U(x0, σ_min²) -> −log p0 on clean data, masked above 1000
        h0 = torch.full_like(h, opt["h_min"])
        u0 = energy_model.energy(batch["x0"], h0, batch["beta"])
        target = -batch["log_p0"]
        keep = (target <= opt["energy_mask"]).to(u0.dtype)
        terms["energy_matching"] = (keep * (target - u0).pow(2)).mean()
        total = total + w["energy_matching"] * terms["energy_matching"]
    terms["total"] = total
    return terms


# ------------------------------------------------------------------------------------------------
# Augmentation (pita/train/random_rotation.cpp, pita/mcmc/mean_free.cpp).
# ------------------------------------------------------------------------------------------------
def random_rotations(n, gen):
    """[n, 3, 3] Haar-uniform rotations from normalised Gaussian quaternions (Shoemake)."""
    q = torch.randn(n, 4, generator=gen, dtype=DTYPE)
    q = q / q.norm(2, 1, keepdim=True)
    w, x, y, z = q[:, 0], q[:, 1], q[:, 2], q[:, 3]
    return torch.stack([1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w),
                        2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w),
                        2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
                       1).view(n, 3, 3)


def rotate(x, r):  # x [B, n, 3], r [B, 3, 3]
    return torch.matmul(x, r.transpose(1, 2))


def remove_mean(x):
    return x - x.mean(1, keepdim=True)


# ------------------------------------------------------------------------------------------------
# Replay buffer, EMA, trainer (pita/train/replay_buffer.cpp, ema.cpp, trainer.cpp).
# ------------------------------------------------------------------------------------------------
class ReplayBuffer:
    def __init__(self, x, log_p, grad_log_p, beta):
        self.x, self.log_p, self.grad_log_p, self.beta = x, log_p, grad_log_p, beta

    def sample(self, batch, gen):  # uniform with replacement
        idx = torch.randint(self.x.shape[0], (batch,), generator=gen, dtype=torch.long)
        return {"x0": self.x.index_select(0, idx), "log_p0": self.log_p.index_select(0, idx),
                "grad_log_p0": self.grad_log_p.index_select(0, idx),
                "beta": torch.full((batch,), self.beta, dtype=DTYPE)}


class Ema:
    """n ← n+1, d = min(decay, (1+n)/(10+n)), θ̄ ← θ̄ − (1−d)(θ̄ − θ), per parameter tensor."""

    def __init__(self, module, decay=0.999):
        self.decay, self.updates = decay, 0
        self.shadow = [p.detach().clone() for p in module.parameters()]

    @torch.no_grad()
    def update(self, module):
        self.updates += 1
        n = float(self.updates)
        d = min(self.decay, (1.0 + n) / (10.0 + n))
        for s, p in zip(self.shadow, module.parameters()):
            s.sub_((1.0 - d) * (s - p.detach()))


class Trainer:
    def __init__(self, backbone, schedule, opt, lr=1e-3, grad_clip=0.5, ema_decay=0.999):
        # Spec §3: the energy net starts as a deep copy of the freshly built score backbone.
        self.score = ScoreModel(backbone)
        self.energy = EnergyModel(copy.deepcopy(backbone))
        self.schedule, self.opt, self.grad_clip = schedule, opt, grad_clip
        self.parameters = (list(self.score.backbone.parameters())
                           + list(self.energy.backbone.parameters()))
        # One Adam over both nets. foreach=False: LibTorch 1.13's Adam loops over parameters.
        self.adam = torch.optim.Adam(self.parameters, lr=lr, foreach=False)
        self.score_ema = Ema(self.score.backbone, ema_decay)
        self.energy_ema = Ema(self.energy.backbone, ema_decay)
        self.last_grad_norm = 0.0

    def step(self, buffer, gen):
        """Trainer::step with one buffer (so no buffer index is drawn)."""
        batch = buffer.sample(self.opt["batch_size"], gen)
        r = random_rotations(batch["x0"].shape[0], gen)
        batch["x0"] = rotate(batch["x0"], r)
        batch["grad_log_p0"] = rotate(batch["grad_log_p0"], r)
        noise = torch.randn(batch["x0"].shape, generator=gen, dtype=DTYPE)
        noise = remove_mean(noise)
        batch["x0"] = remove_mean(batch["x0"])
        h = self.schedule.sample_training_h(batch["x0"].shape[0], gen)

        # zero_grad without set_to_none: LibTorch 1.13's Optimizer::zero_grad zeroes in place.
        self.adam.zero_grad(set_to_none=False)
        terms = compute_losses(self.score, self.energy, batch, h, noise, self.opt)
        terms["total"].backward()
        # clip_grad_norm_ returns the pre-clip norm; the C++ trainer reads it as a double (logged).
        self.last_grad_norm = float(torch.nn.utils.clip_grad_norm_(self.parameters, self.grad_clip))
        self.adam.step()
        self.score_ema.update(self.score.backbone)
        self.energy_ema.update(self.energy.backbone)
        return {k: v.detach() for k, v in terms.items()}


# ------------------------------------------------------------------------------------------------
# Cases: network, schedule, loss recipe, synthetic buffer.
# ------------------------------------------------------------------------------------------------
EXPECTED_PARAMS = {"egnn_lj13": 22467, "dit_aldp22": 3179267, "dit_aldp_cpu": 152707,
                   "dit_aldp_cpu_score": 152707}


def lj13_buffer(n_rows, gen):
    # Jittered cubic lattice (as LennardJones::initial_configurations / lj_torch.py): 13 of the
    # 27 sites of a 3×3×3 grid, + 0.05 Gaussian jitter. log p and ∇log p: random finite values of
    # the right shape (the target is not evaluated in a training step).
    grid = torch.stack(torch.meshgrid(*[torch.arange(3.0)] * 3, indexing="ij"), -1).view(27, 3)
    sites = torch.rand(n_rows, 27, generator=gen).argsort(1)[:, :13]
    x = grid[sites] + 0.05 * torch.randn(n_rows, 13, 3, generator=gen)
    log_p = 10.0 + 3.0 * torch.randn(n_rows, generator=gen)
    grad = 5.0 * torch.randn(n_rows, 13, 3, generator=gen)
    return ReplayBuffer(x.to(DTYPE), log_p.to(DTYPE), grad.to(DTYPE), beta=1.0)


def aldp22_buffer(n_rows, gen):
    # 22 atoms in a ~0.5 nm blob; log p in kT and forces/kT of a plausible magnitude (some rows
    # exceed the TSM clip norm of 1000, so the clip is exercised).
    x = 0.3 * torch.randn(n_rows, 22, 3, generator=gen)
    log_p = 20.0 * torch.randn(n_rows, generator=gen)
    grad = 100.0 * torch.randn(n_rows, 22, 3, generator=gen)
    return ReplayBuffer(x.to(DTYPE), log_p.to(DTYPE), grad.to(DTYPE), beta=1.0)


def make_case(name, batch_size):
    """-> (backbone, schedule, loss options); parameters drawn from torch's global generator."""
    if name == "egnn_lj13":
        schedule = ElucidatingSchedule(0.05)  # experiment/lj13.yaml
        backbone = Egnn(13)
        weights = dict(score=1.0, energy_score=1.0, energy_matching=1.0, target_score=0.0)
    elif name == "dit_aldp22":
        schedule = ElucidatingSchedule(0.01)  # aldp
        # β-conditioning on (both embedders used and trained). The ALDP recipe has it off
        # (train_on_all_temps = false, spec §3.4); on is the more expensive of the two.
        backbone = Dit(22, condition_on_temperature=True)
        weights = dict(score=1.0, energy_score=1.0, energy_matching=1.0, target_score=0.01)
    elif name in ("dit_aldp_cpu", "dit_aldp_cpu_score"):
        schedule = ElucidatingSchedule(0.01)
        backbone = Dit(22, hidden=64, cond_dim=32, n_blocks=3, n_heads=4, mlp_ratio=2, dropout=0.0,
                       condition_on_temperature=False, atom_embedding=True)
        distil = 0.0 if name == "dit_aldp_cpu_score" else 1.0
        weights = dict(score=1.0, energy_score=distil, energy_matching=0.0, target_score=0.01)
    else:
        raise ValueError(f"unknown case {name}")
    # As trainer_config.cpp: h_min = h(0) = σ_min², score threshold h(0), TSM threshold h(0.2).
    opt = dict(batch_size=batch_size, weights=weights, h_min=schedule.h(0.0),
               score_h_threshold=schedule.h(0.0), tsm_h_threshold=schedule.h(0.2),
               max_score_norm=1000.0, energy_mask=1000.0)
    backbone.to(DTYPE).train()  # train mode: DiT dropout on
    return backbone, schedule, opt


def make_buffer(name, gen):
    # Buffer sizes: the reference's num_init_samples (LJ13 10000, ALDP 50000).
    return lj13_buffer(10000, gen) if name == "egnn_lj13" else aldp22_buffer(50000, gen)


def make_trainer(name, batch_size):
    torch.manual_seed(12345)  # parameter initialisation
    backbone, schedule, opt = make_case(name, batch_size)
    return Trainer(backbone, schedule, opt)


def count_params(module):
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


# ------------------------------------------------------------------------------------------------
# FLOPs and timing harness.
# ------------------------------------------------------------------------------------------------
def profile_flops(trainer, buffer, gen):
    """Sum of torch.profiler's with_flops estimates over one step (forward, create_graph backward,
    double backward, clip, Adam, EMA; the autograd engine runs CPU work on this thread, so the
    backward ops are recorded too).

    What 1.13 counts: only ops with a FLOP formula: aten::mm, aten::addmm, aten::bmm (2·M·N·K;
    this is where nn.Linear and torch.matmul end up), aten::mul and aten::add (1 per output
    element) and convolutions. Parent ops (aten::linear, aten::matmul) have no formula, so nothing
    is counted twice. What it misses: every other elementwise op (sub, div, pow, sqrt, rsqrt,
    exp, log, silu, sigmoid, tanh, gelu, cos/sin, flip, addcmul, their backward kernels such as
    silu_backward / tanh_backward / gelu_backward), reductions (sum, mean, norm), softmax and its
    backward, layer_norm and its backward, dropout's mask draw, and in-place variants (add_,
    mul_, sub_, addcmul_, addcdiv_, sqrt_ in Adam, the EMA and the clip). The matmuls dominate
    (mm/addmm/bmm are > 90% of the counted total for both models), so the sum is a lower bound,
    probably within a few tens of percent of the true count.
    """
    from torch.profiler import ProfilerActivity, profile
    with profile(activities=[ProfilerActivity.CPU], with_flops=True) as prof:
        trainer.step(buffer, gen)
    total = sum(evt.flops for evt in prof.events() if getattr(evt, "flops", 0))
    return int(total) if total > 0 else None


def flops_per_step(name, buffer, gen):
    """-> f(batch). Profiling the real batch is far too slow for the DiT: CPU bmm on 1.13 loops
    over the batch·heads matrices (select/as_strided/resolve_conj per matrix), ~300k recorded
    events per step at batch 32, and the profiler's per-event cost made that step 13× slower. The
    counted FLOPs are affine in the batch size (every counted op scales with the rows; Adam, EMA
    and clip add a constant), so two profiled steps at batch 2 and 4 give the line. Checked
    against direct profiles: 1e-5 (EGNN, batch 128) and 7e-5 (DiT, batch 16) relative; the rest
    is a few data-dependent aten::mul calls."""
    f = {}
    for b in (2, 4):
        trainer = make_trainer(name, b)
        trainer.step(buffer, gen)  # the first step (Adam state creation) is not representative
        f[b] = profile_flops(trainer, buffer, gen)
    if f[2] is None or f[4] is None:
        return lambda batch: None
    slope = (f[4] - f[2]) / 2.0
    return lambda batch: int(round(f[2] + (batch - 2) * slope))


# Per-case budget: (warm-up steps before the first thread count, before each later one, min_time
# s, max_time s, min_steps). The first step of a fresh trainer is ~2× slower (allocator growth,
# Adam state, thread pools), so every (case, batch) gets at least one warm-up step. The default
# run must fit in ~3 min on 2 cores: an EGNN step is 0.3-2 s, a DiT step 4-30 s, so the DiT gets
# one warm-up step per batch size (switching the thread count keeps the process warm) and, at
# batch 512, a single timed step per thread count.
BUDGET = {"egnn_lj13": (2, 1, 1.5, 8.0, 5), "dit_aldp22": (1, 0, 1.0, 8.0, 2),
          "dit_aldp_cpu": (2, 1, 1.5, 8.0, 5), "dit_aldp_cpu_score": (2, 1, 1.5, 8.0, 5)}
QUICK_BUDGET = (1, 0, 0.0, 0.0, 1)


def time_steps(trainer, buffer, gen, min_time, max_time, min_steps):
    """Median wall time (s) of single steps: at least min_time and min_steps, stopping once
    max_time has passed (always at least one timed step)."""
    times = []
    start = time.perf_counter()
    while True:
        t0 = time.perf_counter()
        trainer.step(buffer, gen)
        times.append(time.perf_counter() - t0)
        elapsed = time.perf_counter() - start
        if (elapsed >= min_time and len(times) >= min_steps) or elapsed >= max_time:
            return statistics.median(times), len(times)


def run_case(name, batch, thread_list, quick, buffer, flops_fn, gen):
    trainer = make_trainer(name, batch)
    n_params = count_params(trainer.score.backbone)
    assert count_params(trainer.energy.backbone) == n_params
    flops = flops_fn(batch)
    warm_first, warm_each, min_time, max_time, min_steps = QUICK_BUDGET if quick else BUDGET[name]
    for i, threads in enumerate(thread_list):
        torch.set_num_threads(threads)
        t_start = time.perf_counter()
        for _ in range(warm_first if i == 0 else warm_each):
            trainer.step(buffer, gen)
        sec, n = time_steps(trainer, buffer, gen, min_time, max_time, min_steps)
        log(f"[{name}] batch {batch} threads {threads}: {sec * 1e3:.1f} ms/step, median of {n} "
            f"steps, {time.perf_counter() - t_start:.1f} s incl. warm-up")
        record = {"name": f"pytorch_train_step/model:{name}/batch:{batch}/threads:{threads}",
                  "ms_per_step": round(sec * 1e3, 3), "steps_per_s": round(1.0 / sec, 4),
                  "params_per_net": n_params, "flops_per_step": flops}
        print(json.dumps(record), flush=True)


def check_params(name, buffer, gen):
    """Verifies the per-net count against spec §3.5 and reports how many get gradients."""
    trainer = make_trainer(name, 2)
    n_params = count_params(trainer.score.backbone)
    if n_params != EXPECTED_PARAMS[name]:
        raise SystemExit(f"{name}: {n_params:,} trainable parameters per net; expected "
                         f"{EXPECTED_PARAMS[name]:,} (spec §3.5)")
    trainer.step(buffer, gen)
    with_grad = [sum(p.numel() for p in net.parameters() if p.grad is not None)
                 for net in (trainer.score.backbone, trainer.energy.backbone)]
    extra = (" (22,533 with the reference's unused embedding_out, which egnn.cpp and this port "
             "leave out; the last layer's node MLP, 3,136, cannot reach the output and gets no "
             "gradient)" if name == "egnn_lj13" else "")
    log(f"[{name}] {n_params:,} trainable parameters per net, {2 * n_params:,} for both{extra}; "
        f"with gradients: score net {with_grad[0]:,}, energy net {with_grad[1]:,}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="one short measurement per case")
    ap.add_argument("--cases", default="egnn_lj13,dit_aldp22")
    ap.add_argument("--batches", default=None, help="comma list; default 128,512 (quick: 32)")
    ap.add_argument("--threads", default=None, help="comma list; default 1,2 (quick: 1)")
    args = ap.parse_args()
    cases = [c for c in args.cases.split(",") if c]
    for c in cases:
        if c not in EXPECTED_PARAMS:
            ap.error(f"unknown case {c!r}; expected one of {', '.join(EXPECTED_PARAMS)}")
    # --quick: one short measurement per case at a small batch (a smoke test, not a timing).
    batches = [int(b) for b in (args.batches or ("32" if args.quick else "128,512")).split(",")]
    threads = [int(t) for t in (args.threads or ("1" if args.quick else "1,2")).split(",")]

    log(f"torch {torch.__version__}; cases {cases}, batches {batches}, threads {threads}")
    t0 = time.perf_counter()
    gen = torch.Generator().manual_seed(1)  # data, batches, rotations, noise, h (not dropout)
    for name in cases:
        torch.set_num_threads(threads[0])
        buffer = make_buffer(name, gen)
        check_params(name, buffer, gen)
        flops_fn = flops_per_step(name, buffer, gen)
        for batch in batches:
            run_case(name, batch, threads, args.quick, buffer, flops_fn, gen)
    log(f"total {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
