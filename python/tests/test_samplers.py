"""MALA step by step and the parallel-tempering driver from Python."""
import pytest
import torch

import pita


def test_mala_adapts_per_group_and_freezes():
    g = pita.gaussian(n_particles=1, spatial_dim=2)
    mala = pita.Mala(g, temperatures=[1.0] * 4 + [2.0] * 4, groups=[0] * 4 + [1] * 4,
                     step_size=0.1)
    assert (mala.n_chains, mala.n_groups) == (8, 2)
    state = mala.init(g.initial_configurations(8, seed=1))
    gen = torch.Generator().manual_seed(2)
    for _ in range(50):
        mala.step(state, gen, adapt=True)
    sizes = mala.step_sizes
    assert len(sizes) == 2 and sizes[0] != 0.1
    mala.step(state, gen)  # adapt=False: frozen
    assert mala.step_sizes == sizes
    mala.step_sizes = [0.5, 0.5]
    assert mala.step_sizes == [0.5, 0.5]
    e, f = g.energy_and_force(state.x)
    torch.testing.assert_close(state.energy, e, rtol=0, atol=0)  # state stays consistent
    torch.testing.assert_close(state.force, f, rtol=0, atol=0)


def test_parallel_tempering_reports_progress_and_samples_every_temperature():
    dw = pita.double_well()
    events = []
    out = pita.parallel_tempering(
        dw, temperatures=[2.0, 1.0], n_chains=8, warmup_steps=50, production_steps=100, thin=10,
        seed=4, progress=lambda *e: events.append(e),
    )
    assert [t["temperature"] for t in out["temperatures"]] == [1.0, 2.0]  # ascending
    for t in out["temperatures"]:
        assert t["samples"].shape == (80, 4, 2) and t["energies"].shape == (80,)
        assert 0 < t["acceptance"] <= 1
    assert len(out["swap_acceptance"]) == 1
    assert out["energy_evaluations"] > 0
    assert {e[0] for e in events} == {"warmup", "production"}
    # The same seed, the same chains; another seed, other chains.
    again = pita.parallel_tempering(dw, temperatures=[2.0, 1.0], n_chains=8, warmup_steps=50,
                                    production_steps=100, thin=10, seed=4)
    other = pita.parallel_tempering(dw, temperatures=[2.0, 1.0], n_chains=8, warmup_steps=50,
                                    production_steps=100, thin=10, seed=5)
    assert torch.equal(again["temperatures"][0]["samples"], out["temperatures"][0]["samples"])
    assert not torch.equal(other["temperatures"][0]["samples"], out["temperatures"][0]["samples"])


def test_an_exception_in_the_progress_callback_propagates():
    def stop(*_):
        raise RuntimeError("enough")

    with pytest.raises(RuntimeError, match="enough"):
        pita.parallel_tempering(pita.gmm(), n_chains=4, warmup_steps=20, production_steps=20,
                                thin=10, progress=stop)


def test_float32_chains_from_a_given_start():
    lj = pita.lennard_jones()
    x0 = lj.initial_configurations(4, seed=9).float()
    out = pita.parallel_tempering(lj, n_chains=4, warmup_steps=10, production_steps=20, thin=10,
                                  x0=x0)
    assert out["temperatures"][0]["samples"].dtype == torch.float32
