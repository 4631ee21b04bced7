"""pita's exceptions reach Python as pita.Error subclasses carrying the library's message."""
import pytest
import torch

import pita


def test_the_exception_hierarchy():
    assert issubclass(pita.ConfigError, pita.Error) and issubclass(pita.ConfigError, ValueError)
    assert issubclass(pita.IoError, pita.Error) and issubclass(pita.IoError, OSError)
    assert issubclass(pita.NumericalError, ArithmeticError)
    assert issubclass(pita.InternalError, RuntimeError)


def test_a_wrong_shape_names_the_expected_one():
    lj = pita.lennard_jones()
    with pytest.raises(pita.ConfigError) as info:
        lj.energy(torch.zeros(4, 39))
    message = str(info.value)
    assert "[energy:lennard_jones] wrong input shape: got [4, 39]; expected [batch, 13, 3]" in message


def test_a_wrong_dtype():
    with pytest.raises(pita.ConfigError, match="unsupported dtype: got Long"):
        pita.lennard_jones().energy(torch.zeros(1, 13, 3, dtype=torch.long))


def test_an_unknown_key_suggests_the_nearest_one():
    with pytest.raises(pita.ConfigError) as info:
        pita.lennard_jones(n_particle=13)
    assert "energy.n_particle: unknown key. Did you mean 'energy.n_particles'?" in str(info.value)


def test_an_out_of_range_value_and_every_problem_at_once():
    with pytest.raises(ValueError) as info:  # ConfigError is a ValueError
        pita.make_target({"type": "lennard_jones", "n_particles": 1, "epsilon": -1})
    message = str(info.value)
    assert "energy.n_particles" in message and "energy.epsilon" in message
    assert "2 problems" in message


def test_sampler_options_are_range_checked_by_the_config_reader():
    lj = pita.lennard_jones()
    with pytest.raises(pita.ConfigError, match="mcmc.thin"):
        pita.parallel_tempering(lj, thin=0)
    with pytest.raises(pita.ConfigError, match=r"\[mala\] target_acceptance"):
        pita.Mala(lj, temperatures=[1.0], target_acceptance=1.5)


def test_a_missing_checkpoint_is_an_io_error(tmp_path):
    with pytest.raises(pita.IoError) as info:
        pita.load_checkpoint(tmp_path / "missing.pt")
    assert isinstance(info.value, OSError)
    assert "missing.pt" in str(info.value)


def test_a_bad_run_override(repo, tmp_path):
    with pytest.raises(pita.ConfigError, match="train.step"):
        pita.run(repo / "configs/smoke.yaml", tmp_path / "run", overrides=["train.step=3"])
    assert not (tmp_path / "run").exists()  # refused before any work


def test_a_config_value_json_cannot_hold():
    with pytest.raises(pita.ConfigError, match="JSON cannot hold"):
        pita.make_target({"type": "gaussian", "variance": float("nan")})


def test_every_check_of_the_bindings_names_the_argument(tmp_path):
    lj = pita.lennard_jones()
    with pytest.raises(pita.ConfigError, match=r"\[mala\] kernel: got 'fused'"):
        pita.Mala(lj, temperatures=[1.0], kernel="fused")
    with pytest.raises(pita.ConfigError, match=r"\[mcmc\] dtype: got 'float16'"):
        pita.parallel_tempering(lj, dtype="float16")
    with pytest.raises(pita.ConfigError, match=r"\[python\] dtype: got 'half'"):
        pita.load_checkpoint(tmp_path / "x.pt", dtype="half")
    with pytest.raises(pita.ConfigError, match=r"\[python\] energy: got a list; expected a dict"):
        pita.make_target([1, 2])
