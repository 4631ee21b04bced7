"""Targets from Python: energies and forces equal the C++ values; the evaluation count; config."""
import json
import math
import textwrap

import numpy as np
import pytest
import torch

import pita
from conftest import aldp_files


def test_lennard_jones_dimer_at_its_minimum():
    # The oracle of tests/unit/energy/lennard_jones_test.cpp (DimerAtPairMinimumContributesMinusTwo):
    # the pair term is 2[(1/r)^12 - 2(1/r)^6] with r = sqrt(r_min^2 + 1e-6); no oscillator here.
    lj = pita.lennard_jones(n_particles=2, epsilon=1.0, r_min=1.0, oscillator_scale=0.0)
    x = torch.tensor([[[0.0, 0.0, -0.5], [0.0, 0.0, 0.5]]], dtype=torch.float64)
    e, f = lj.energy_and_force(x)
    assert e.shape == (1,) and f.shape == (1, 2, 3)
    assert e.dtype == torch.float64 and f.dtype == torch.float64
    r = math.sqrt(1.0 + 1e-6)
    assert e.item() == pytest.approx(2.0 * (r**-12 - 2.0 * r**-6), rel=1e-12)
    assert f.abs().max().item() < 1e-4


def test_target_properties_and_evaluation_count():
    lj = pita.lennard_jones()
    assert (lj.name, lj.n_particles, lj.spatial_dim, lj.dim) == ("lennard_jones", 13, 3, 39)
    assert lj.translation_invariant and lj.degrees_of_freedom == 36
    assert lj.config["n_particles"] == 13
    x = lj.initial_configurations(5, seed=1)
    assert x.shape == (5, 13, 3) and x.dtype == torch.float64
    lj.energy(x)
    lj(x[:2])
    lj.energy_and_force(x)
    assert lj.evaluations == 12
    lj.reset_evaluations()
    assert lj.evaluations == 0
    assert "lennard_jones" in repr(lj)


@pytest.mark.parametrize(
    "make, shape",
    [
        (lambda: pita.double_well(), (4, 2)),
        (lambda: pita.gmm(), (1, 2)),
        (lambda: pita.gaussian(n_particles=3, spatial_dim=2, variance=2.0), (3, 2)),
    ],
)
def test_every_analytic_target(make, shape):
    t = make()
    assert (t.n_particles, t.spatial_dim) == shape
    x = t.initial_configurations(7, seed=2)
    e, f = t.energy_and_force(x.float())
    assert e.shape == (7,) and e.dtype == torch.float32 and f.shape == (7, *shape)
    assert torch.isfinite(e).all()


def test_gaussian_energy_and_force_closed_form():
    g = pita.gaussian(n_particles=2, spatial_dim=3, variance=2.0)
    x = torch.randn(4, 2, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    e, f = g.energy_and_force(x)
    # pita/energy/isotropic_gaussian.h: E = |x|^2 / (2 s^2) + (D/2) log(2 pi s^2), exactly -log p.
    expected = (x * x).sum((1, 2)) / 4.0 + 3.0 * math.log(2 * math.pi * 2.0)
    torch.testing.assert_close(e, expected, rtol=1e-14, atol=0)
    torch.testing.assert_close(f, -x / 2.0, rtol=1e-14, atol=0)


def test_molecule_target_and_torsions(repo):
    system, pdb = aldp_files(repo)
    mol = pita.molecule(system, pdb)
    assert mol.name == "molecule" and mol.config["engine"] == "force_field"
    assert (mol.n_particles, mol.spatial_dim) == (22, 3)
    x = mol.initial_configurations(3)
    e, f = mol.energy_and_force(x)
    assert torch.isfinite(e).all() and f.shape == (3, 22, 3)
    phi_psi = mol.torsion_angles(x)
    assert phi_psi.shape == (3, 2)
    with pytest.raises(pita.ConfigError, match="no backbone torsions"):
        pita.lennard_jones().torsion_angles(torch.zeros(1, 13, 3))


def _mcmc_config(tmp_path, energy: dict, temperatures, n_chains=8, warmup=40, production=80):
    cfg = {
        "seed": 11,
        "threads": 1,
        "energy": energy,
        "mcmc": {
            "temperatures": temperatures,
            "n_chains": n_chains,
            "warmup_steps": warmup,
            "production_steps": production,
            "thin": 20,
            "step_size": 1e-4,
        },
        "output": {"samples_dtype": "float64"},
    }
    path = tmp_path / "mcmc.yaml"
    path.write_text(json.dumps(cfg))  # JSON is YAML
    return path, cfg


def _load(path):
    return torch.from_numpy(np.load(path))


@pytest.mark.parametrize("which", ["lj13", "aldp"])
def test_samplers_energies_and_forces_equal_the_command_line(
    which, repo, tmp_path, run_cli, one_thread
):
    """`pita mcmc` and pita.parallel_tempering with one seed: the same chains, bit for bit.

    Every MALA step uses the target's energies and forces, so identical samples mean every
    energy and force Python got equals the C++ value bit for bit. Then, directly: the energies
    of the saved samples equal energies.npy, and the forces give mcmc.json's configurational
    temperature <x . grad E>/dof (float tolerance: a different summation order).
    """
    if which == "lj13":
        energy = {"type": "lennard_jones", "n_particles": 13}
        temperatures = [1.0, 2.0]
    else:
        system, pdb = aldp_files(repo)
        energy = {"type": "molecule", "system": str(system), "pdb": str(pdb)}
        temperatures = [300.0]
    path, cfg = _mcmc_config(tmp_path, energy, temperatures)
    out = tmp_path / "cli"
    run_cli("mcmc", str(path), "--out", str(out))
    stats = json.loads((out / "mcmc.json").read_text())

    target = pita.make_target(energy)
    m = cfg["mcmc"]
    result = pita.parallel_tempering(
        target,
        temperatures=m["temperatures"],
        n_chains=m["n_chains"],
        warmup_steps=m["warmup_steps"],
        production_steps=m["production_steps"],
        thin=m["thin"],
        step_size=m["step_size"],
        seed=cfg["seed"],
    )
    assert len(result["temperatures"]) == len(temperatures)
    for t in result["temperatures"]:
        sub = out / f"T{t['temperature']:g}"
        cli_x, cli_e = _load(sub / "samples.npy"), _load(sub / "energies.npy")
        assert torch.equal(t["samples"], cli_x), f"T={t['temperature']}: samples differ"
        assert torch.equal(t["energies"], cli_e), f"T={t['temperature']}: energies differ"

        target.reset_evaluations()
        e, f = target.energy_and_force(cli_x)
        assert target.evaluations == cli_x.shape[0]
        assert torch.equal(e, cli_e), "energies of the saved samples differ from energies.npy"
        virial = -(cli_x * f).sum((1, 2))
        t_conf = virial.mean().item() / target.degrees_of_freedom
        cli_t = [s for s in stats["temperatures"] if math.isclose(s["temperature"], t["temperature"])]
        assert cli_t, stats["temperatures"]
        assert t_conf == pytest.approx(
            cli_t[0]["configurational_temperature"]["mean"], rel=1e-9
        )
