"""The metrics as functions on tensors, against closed forms."""
import math

import pytest
import torch

import pita


def gen(seed):
    return torch.Generator().manual_seed(seed)


def test_energy_distances_of_a_shift():
    e = torch.randn(500, dtype=torch.float64, generator=gen(0))
    d = pita.energy_distances(e + 2.0, e, temperature=2.0)
    # Shifting every energy by 2 at T = 2 moves every reduced energy by exactly 1.
    assert d["w1"] == pytest.approx(1.0, rel=1e-12)
    assert d["w2"] == pytest.approx(1.0, rel=1e-12)
    assert d["mean_gap"] == pytest.approx(1.0, rel=1e-12)
    assert d["non_finite"] == 0


def test_energy_distances_drop_and_count_non_finite():
    e = torch.randn(100, dtype=torch.float64, generator=gen(1))
    e_gen = e.clone()
    e_gen[:3] = float("inf")
    assert pita.energy_distances(e_gen, e, 1.0)["non_finite"] == 3
    with pytest.raises(pita.NumericalError):
        pita.energy_distances(torch.full((4,), float("nan"), dtype=torch.float64), e, 1.0)


def test_distance_and_equivariant_w2_of_a_rotated_copy():
    lj = pita.lennard_jones()
    x = pita.remove_mean(lj.initial_configurations(20, seed=4))
    assert x.mean(1).abs().max().item() < 1e-12
    c, s = math.cos(0.7), math.sin(0.7)
    rot = torch.tensor([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]], dtype=torch.float64)
    y = (x @ rot.T)[:, torch.randperm(13, generator=gen(2))]
    assert pita.distance_w2(x, y) == pytest.approx(0.0, abs=1e-9)
    assert pita.equivariant_w2(x, y) == pytest.approx(0.0, abs=1e-6)
    assert pita.distance_w2(x, 1.1 * x) > 0.01


def test_configurational_temperature_of_exact_gaussian_samples():
    g = pita.gaussian(n_particles=1, spatial_dim=4, variance=1.0)
    t = 2.5
    x = math.sqrt(t) * torch.randn(20000, 1, 4, dtype=torch.float64, generator=gen(3))
    _, f = g.energy_and_force(x)
    est = pita.configurational_temperature(x, f, translation_invariant=False)
    assert abs(est["value"] - t) < 6 * est["standard_error"], est  # (stochastic, fixed seed)
    rugh = pita.rugh_temperature(g, x[:200])
    assert rugh["value"] == pytest.approx(t, rel=0.2)


def test_torsion_distances_and_ramachandran_kl():
    a = (torch.rand(300, 2, dtype=torch.float64, generator=gen(5)) * 2 - 1) * math.pi
    d = pita.torsion_distances(a, a)
    assert d == {"w1": pytest.approx(0, abs=1e-12), "w2": pytest.approx(0, abs=1e-12),
                 "torus_w2": pytest.approx(0, abs=1e-12)}
    near_pi = torch.tensor([[math.pi - 0.01, 0.0]], dtype=torch.float64)
    near_minus_pi = torch.tensor([[-math.pi + 0.01, 0.0]], dtype=torch.float64)
    d = pita.torsion_distances(near_pi, near_minus_pi)
    assert d["torus_w2"] == pytest.approx(0.02, rel=1e-9)  # neighbours on the torus
    assert d["w2"] == pytest.approx(2 * math.pi - 0.02, rel=1e-9)
    assert pita.ramachandran_kl(a, a) == pytest.approx(0.0, abs=1e-9)
    with pytest.raises(pita.ConfigError):
        pita.torsion_distances(a, a[:, :1])
