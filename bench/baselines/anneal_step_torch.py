#!/usr/bin/env python3
"""PyTorch baseline for bench/anneal_bench.cpp: one step of the weighted reverse SDE with learned
models (pita/anneal/annealing_model.cpp + annealer.cpp), ported op for op, reusing the network
ports of train_step_torch.py. Debian python3-torch 1.13 (/usr/bin/python3), 1 thread.

Per step: s(x) and its divergence (exact: D stacked copies of the batch, one forward and one
backward, as pita/anneal/divergence.cpp; hutchinson: one Rademacher probe), U, ∇_x U and ∂U/∂h by
autograd, then the Euler–Maruyama move and the log-weight increment at γ = 2. With
weights:score_only (anneal.tempering_weight: score_only) the energy network is skipped: drift
(g²/2)(1 + γ)s, increment (1 − γ)(g²/2)∇·s.

    /usr/bin/python3 bench/baselines/anneal_step_torch.py [--quick]

One JSON line per case: {"name": "pytorch_anneal_step/model:.../divergence:.../batch:N/threads:1",
"ms_per_step": ..., "particle_steps_per_s": ...}.
"""
import argparse
import itertools
import json
import math
import statistics
import time

import torch

import train_step_torch as ts


def make_models(name):
    torch.manual_seed(0)
    backbone, schedule, _ = ts.make_case(name, 1)
    with torch.no_grad():  # as the C++ benchmark: perturb so the DiT is not identically zero
        for p in backbone.parameters():
            p.add_(torch.randn_like(p) * 0.02)
    backbone.eval()
    energy_backbone = ts.copy.deepcopy(backbone)
    return ts.ScoreModel(backbone), ts.EnergyModel(energy_backbone), schedule


def divergence(score, x, h, beta, exact, gen):
    """-> s(x) [B, n, d] (detached), div s [B] by stacked copies."""
    b, n, d = x.shape
    dim = n * d
    if exact:
        w = torch.eye(dim, dtype=x.dtype).unsqueeze(1).expand(dim, b, dim)
    else:
        w = torch.randint(0, 2, (1, b, dim), generator=gen).to(x.dtype) * 2 - 1
    copies = w.shape[0]
    xs = x.detach().unsqueeze(0).expand(copies, b, n, d).reshape(copies * b, n, d)
    xs.requires_grad_(True)
    hs = h[:1].expand(copies * b)
    betas = beta[:1].expand(copies * b)
    c_skip, c_in, c_out, c_noise = ts.precondition(hs)
    out = (c_skip * xs + c_out * score.backbone(c_noise, c_in * xs, betas) - xs) / hs.view(-1, 1, 1)
    wr = w.reshape(out.shape)
    (g,) = torch.autograd.grad((out * wr).sum(), [xs])
    div = (g * wr).reshape(copies, b, -1).sum(2).sum(0)
    if not exact:
        div = div / copies
    return out.detach().reshape(copies, b, n, d)[0], div


def anneal_step(score, energy, schedule, x, exact, gen, score_only=False, t=0.5, gamma=2.0,
                dt=1e-3):
    b = x.shape[0]
    h_val = schedule.h(t)
    # g² = dh/dt of the elucidating schedule (noise_schedule.cpp): 2ρ(a + (1−t)b)^{2ρ−1}·(−b).
    g2 = 2 * schedule.rho * (schedule.a + (1 - t) * schedule.b) ** (2 * schedule.rho - 1) * (-schedule.b)
    h = torch.full((b,), h_val, dtype=x.dtype)
    beta = torch.ones(b, dtype=x.dtype)
    s, div = divergence(score, x, h, beta, exact, gen)
    if score_only:  # anneal.tempering_weight: score_only: the energy network is not evaluated
        drift = 0.5 * g2 * (1 + gamma) * s
        inc = (1 - gamma) * 0.5 * g2 * div * dt
        return x + drift * dt + math.sqrt(g2 * dt) * torch.randn(x.shape, generator=gen), inc
    x_leaf = x.detach().requires_grad_(True)
    h_leaf = h.clone().requires_grad_(True)
    u = energy.energy(x_leaf, h_leaf, beta)
    grad_x, du_dh = torch.autograd.grad(u.sum(), [x_leaf, h_leaf])
    du_dt = du_dh * g2
    lam = 1.0  # balanced drift, pita's default
    drift = 0.5 * g2 * (lam * s - gamma * grad_x)
    inc = (lam * gamma * 0.5 * g2 * (-grad_x * s).flatten(1).sum(1) + lam * 0.5 * g2 * div
           + gamma * du_dt) * dt
    moved = x + drift * dt + math.sqrt(g2 * dt) * torch.randn(x.shape, generator=gen)
    return moved, inc


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(1)
    cases = [("egnn_lj13", 13, 128), ("dit_aldp22", 22, 32)]
    for name, n, batch in cases:
        score, energy, schedule = make_models(name)
        for exact, score_only in itertools.product((True, False), (False, True)):
            b = 1 if args.quick else batch
            gen = torch.Generator().manual_seed(1)
            x = torch.randn(b, n, 3, generator=gen) * 1.5
            anneal_step(score, energy, schedule, x, exact, gen, score_only)  # warm-up
            times = []
            start = time.perf_counter()
            while len(times) < 3 or (time.perf_counter() - start < 1.0 and len(times) < 50):
                t0 = time.perf_counter()
                anneal_step(score, energy, schedule, x, exact, gen, score_only)
                times.append(time.perf_counter() - t0)
                if args.quick:
                    break
            ms = 1e3 * statistics.median(times)
            weights = "/weights:score_only" if score_only else ""
            print(json.dumps({
                "name": f"pytorch_anneal_step/model:{name}/divergence:"
                        f"{'exact' if exact else 'hutchinson'}{weights}/batch:{b}/threads:1",
                "ms_per_step": round(ms, 3),
                "particle_steps_per_s": round(1e3 * b / ms, 3)}), flush=True)


if __name__ == "__main__":
    main()
