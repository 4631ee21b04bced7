#!/usr/bin/env python3
"""pita from Python in a minute: a notebook-style tour (each block is a cell).

Run from the repository root after building (cmake --build build):
    PYTHONPATH=build/python /usr/bin/python3 examples/python_quickstart.py [OUT_DIR]
"""
# %% Imports: torch first is not required (pita imports it), but it is what you will use.
import pathlib
import sys
import tempfile
import time

import torch

import pita

torch.set_num_threads(1)
print(f"pita {pita.__version__} ({pita.git_hash}), torch {torch.__version__}")

# %% Energies and forces of LJ-13: a target is a callable on [batch, n_particles, 3].
lj = pita.lennard_jones(n_particles=13)
x = lj.initial_configurations(4, seed=0)  # float64, finite energies
energy, force = lj.energy_and_force(x)
print(f"{lj}: E = {energy.tolist()}")
print(f"|F| max = {force.abs().max().item():.3f}; evaluations so far: {lj.evaluations}")

# %% MALA samples at T = 1 (the driver of `pita mcmc`; one temperature = plain MALA).
t0 = time.perf_counter()
mcmc = pita.parallel_tempering(
    lj, temperatures=[1.0, 1.5], n_chains=32, warmup_steps=500, production_steps=1000, thin=50,
    step_size=1e-4, seed=1,
)
cold = mcmc["temperatures"][0]
print(
    f"MALA: {cold['samples'].shape[0]} samples at T = {cold['temperature']} in "
    f"{time.perf_counter() - t0:.1f} s; acceptance {cold['acceptance']:.2f}, <E> = "
    f"{cold['mean_energy']['mean']:.2f}, swap acceptance {mcmc['swap_acceptance']}"
)

# %% A metric: the samples against the project's reference at T = 1 (data/lj13/reference).
reference = pathlib.Path("data/lj13/reference/T1")
if (reference / "samples.npy").exists():
    import numpy as np

    ref_x = torch.from_numpy(np.load(reference / "samples.npy")).double()[:2000]
    ref_e = torch.from_numpy(np.load(reference / "energies.npy"))[:2000]
    d = pita.energy_distances(cold["energies"], ref_e, temperature=1.0)
    print(f"energy-W2 {d['w2']:.3f}, distance-W2 {pita.distance_w2(cold['samples'], ref_x):.4f}")
else:
    print("no reference here (run from the repository root); skipping the metrics")

# %% The whole PITA loop, tiny: configs/smoke.yaml with short overrides, a progress callback.
out = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else pathlib.Path(tempfile.mkdtemp()) / "run"
last = {}


def progress(phase: str, done: int, total: int, status: str) -> None:
    if last.get(phase) is None or done == total:  # one line per phase start and end
        print(f"  {phase:<16} {done:>5}/{total:<5} {status}")
    last[phase] = done


metrics = pita.run(
    "configs/smoke.yaml", out, progress=progress,
    overrides=["threads=1", "train.steps=30", "anneal.steps=10", "anneal.n_samples=64",
               "data.warmup_steps=200", "data.production_steps=400",
               "metrics.equivariant_samples=0"],
)
for t in metrics["temperatures"]:
    print(f"T = {t['temperature']}: energy-W2 {t.get('energy_w2')}, samples in {out}")

# %% Anneal again from the run's checkpoint, to T = 3, with other settings.
ckpt = pita.load_checkpoint(out / "train/stage0.pt")
r = ckpt.anneal(3.0, seed=2, n_samples=64, steps=10, divergence="hutchinson")
print(f"annealed {r['samples'].shape[0]} samples T {ckpt.temperature:g} -> 3: "
      f"min ESS {r['summary']['sde']['min_ess']:.1f}, <E> = {r['energies'].mean().item():.2f}")
