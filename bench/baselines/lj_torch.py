#!/usr/bin/env python3
"""PyTorch baseline for bench/energy_bench.cpp: LJ-13 energy and forces as the reference PITA code
computes them (bgflow-style ordered-pair distances with the 1e-6 regulariser, harmonic term about
the centroid, forces by autograd). Run with Debian's python3-torch (same LibTorch 1.13 build).

Prints one JSON line per (batch, dtype, threads): configurations per second, median of repeats.
"""
import json
import sys
import time

import torch


def lj_energy(x):  # x: [B, N, 3]
    n = x.shape[1]
    diff = x.unsqueeze(2) - x.unsqueeze(1)                    # [B, N, N, 3], ordered pairs
    mask = ~torch.eye(n, dtype=torch.bool)
    r = (diff.pow(2).sum(-1)[:, mask] + 1e-6).sqrt()          # [B, N(N-1)]
    e_lj = (r.pow(-12) - 2 * r.pow(-6)).sum(-1)               # energy_factor 1, sum over i != j
    xc = x - x.mean(1, keepdim=True)
    return e_lj + 0.5 * xc.pow(2).sum((1, 2))


def energy_and_force(x0):
    x = x0.detach().requires_grad_(True)
    e = lj_energy(x)
    (g,) = torch.autograd.grad(e.sum(), x)
    return e.detach(), -g


def bench(batch, dtype, threads, min_time=0.5):
    torch.set_num_threads(threads)
    gen = torch.Generator().manual_seed(1)
    # jittered cubic lattice, as LennardJones::initial_configurations
    grid = torch.stack(torch.meshgrid(*[torch.arange(3.0)] * 3, indexing="ij"), -1).view(27, 3)
    x = torch.stack([grid[torch.randperm(27, generator=gen)[:13]] for _ in range(batch)])
    x = (x + 0.05 * torch.randn(x.shape, generator=gen)).to(dtype)
    energy_and_force(x)
    times = []
    for _ in range(5):
        it, t0 = 0, time.perf_counter()
        while time.perf_counter() - t0 < min_time / 5:
            energy_and_force(x)
            it += 1
        times.append((time.perf_counter() - t0) / it)
    times.sort()
    return batch / times[len(times) // 2]


if __name__ == "__main__":
    for batch in (1, 256, 4096):
        for bits, dtype in ((32, torch.float32), (64, torch.float64)):
            for threads in (1, 2):
                rate = bench(batch, dtype, threads)
                print(json.dumps({"name": f"pytorch_lj13_energy_force/batch:{batch}/bits:{bits}/threads:{threads}",
                                  "configs_per_s": rate}))
                sys.stdout.flush()
