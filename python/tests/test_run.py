"""pita.run and annealing from a checkpoint: the same samples as the command-line tool.

One short two-rung smoke run (configs/smoke.yaml with the overrides of the C++ test
tests/unit/pipeline/progressive_run_test.cpp) from Python and from `pita run`, with the same seed
and threads=1: the .npy files must be byte for byte the same.
"""
import pytest

import pita


def short_run_overrides(repo):
    return [
        "threads=1",
        "train.steps=30",
        "anneal.steps=10",
        "anneal.n_samples=64",
        "anneal.relax_steps=5",
        "data.warmup_steps=200",
        "data.production_steps=400",
        "metrics.equivariant_samples=0",
        f"metrics.reference={repo}/data/lj13/reference",
    ]


COMPARED = [
    "data/T4/samples.npy",
    "data/T4/energies.npy",
    "T3/samples.npy",
    "T3/energies.npy",
    "T3/before_relaxation/samples.npy",
    "T3/before_relaxation/energies.npy",
    "T3/diagnostics.csv",
]


@pytest.fixture(scope="module")
def python_run(repo, tmp_path_factory):
    out = tmp_path_factory.mktemp("python") / "run"
    events = []
    metrics = pita.run(
        repo / "configs/smoke.yaml",
        out,
        overrides=short_run_overrides(repo),
        progress=lambda phase, done, total, status: events.append((phase, done, total, status)),
    )
    return out, metrics, events


def test_a_smoke_run_gives_the_command_lines_samples(python_run, repo, tmp_path, run_cli):
    out, metrics, _ = python_run
    cli = tmp_path / "cli"
    run_cli("run", "configs/smoke.yaml", *short_run_overrides(repo), "--out", str(cli))
    for f in COMPARED:
        assert (out / f).read_bytes() == (cli / f).read_bytes(), f"{f} differs"
    import json

    cli_metrics = json.loads((cli / "metrics.json").read_text())
    assert metrics["energy_evaluations"] == cli_metrics["energy_evaluations"]
    assert metrics["temperatures"][1]["energy_w2"] == cli_metrics["temperatures"][1]["energy_w2"]


def test_the_run_reports_progress_and_its_outputs(python_run):
    out, metrics, events = python_run
    assert metrics["run_dir"] == str(out)
    assert [t["temperature"] for t in metrics["temperatures"]] == [4.0, 3.0]
    phases = {e[0] for e in events}
    assert any(p.startswith("data") for p in phases), phases
    assert any(p.startswith("train") for p in phases), phases
    assert any(p.startswith("anneal") for p in phases), phases
    assert all(isinstance(e[1], int) and isinstance(e[3], str) for e in events)
    assert (out / "run.json").exists() and (out / "report.html").exists()


def test_an_exception_in_the_callback_stops_the_run(repo, tmp_path):
    def stop(phase, done, total, status):
        raise KeyError("stop here")

    with pytest.raises(KeyError, match="stop here"):
        pita.run(repo / "configs/smoke.yaml", tmp_path / "r", overrides=short_run_overrides(repo),
                 progress=stop)


def test_annealing_from_a_checkpoint_equals_pita_anneal(python_run, tmp_path, run_cli, one_thread):
    out, _, _ = python_run
    stage0 = out / "train/stage0.pt"
    ckpt = pita.load_checkpoint(stage0)
    assert ckpt.temperature == 4.0
    assert ckpt.target.name == "lennard_jones"
    assert ckpt.buffers[0]["samples"].shape[1:] == (13, 3)
    options = {"n_samples": 32, "steps": 8, "divergence": "hutchinson", "relax_steps": 3}
    steps = []
    r = ckpt.anneal(3.0, seed=5, progress=lambda s, n, t, ess: steps.append(s), **options)
    assert steps == list(range(1, 9)), steps
    assert r["samples"].shape == (32, 13, 3) and r["energies"].shape == (32,)
    assert r["samples_before_relaxation"].shape == (32, 13, 3)
    assert r["summary"]["gamma"] == pytest.approx(4.0 / 3.0)
    assert len(r["diagnostics"]) == 8
    lineages = [d["lineages"] for d in r["diagnostics"]]
    assert all(1 <= b <= a <= 32 for a, b in zip(lineages, lineages[1:])), lineages
    assert r["summary"]["sde"]["lineages"] == lineages[-1]

    cli = tmp_path / "anneal"
    run_cli(
        "anneal", "configs/smoke.yaml", f"anneal.checkpoint={stage0}", "anneal.temperature=3",
        *[f"anneal.{k}={v}" for k, v in options.items()], "seed=5", "threads=1", "--out", str(cli),
    )
    import numpy as np
    import torch

    torch.testing.assert_close(r["samples"], torch.from_numpy(np.load(cli / "T3/samples.npy")),
                               rtol=0, atol=0)
    torch.testing.assert_close(r["energies"], torch.from_numpy(np.load(cli / "T3/energies.npy")),
                               rtol=0, atol=0)


def test_an_anneal_key_is_checked(python_run):
    out, _, _ = python_run
    ckpt = pita.load_checkpoint(out / "train/stage0.pt")
    with pytest.raises(pita.ConfigError, match="anneal.n_sample"):
        ckpt.anneal(3.0, n_sample=10)
    with pytest.raises(pita.ConfigError):
        ckpt.anneal(5.0)  # above the checkpoint's temperature
    # fix_mirrored is read as `pita anneal` reads it (it was refused as an unknown key), and
    # refused with the reason for a target without chirality centres.
    with pytest.raises(pita.ConfigError, match="fix_mirrored: the target has no chirality centres"):
        ckpt.anneal(3.0, fix_mirrored=True)
    with pytest.raises(pita.ConfigError, match="l_form_only: the target has no chirality centres"):
        ckpt.anneal(3.0, l_form_only=True)


def test_an_untrained_energy_network_is_refused_before_any_work(repo, tmp_path):
    # No loss trains the energy network, and the smoke config's anneal reads it (energy-form
    # weights, end correction): refused as `pita run` refuses it, before the data phase.
    out = tmp_path / "untrained"
    untrained = ["train.losses.energy_score=0", "train.losses.energy_matching=0"]
    with pytest.raises(pita.ConfigError, match="no loss trains the energy network"):
        pita.run(repo / "configs/smoke.yaml", out, overrides=short_run_overrides(repo) + untrained)
    assert not (out / "data").exists()


def smoke_config_as_dict():
    """configs/smoke.yaml, written out as a dict."""
    return {
        "seed": 7,
        "threads": 0,
        "energy": {"type": "lennard_jones", "n_particles": 13},
        "ladder": [4.0, 3.0],
        "data": {"n_chains": 64, "warmup_steps": 3000, "production_steps": 1600, "thin": 40},
        "schedule": {"sigma_min": 0.05},
        "model": {"backbone": "egnn", "hidden": 16, "n_layers": 2},
        "train": {"steps": 150, "batch_size": 64, "grad_clip_scope": "per_network",
                  "log_every": 10, "checkpoint_every": 50},
        "anneal": {"n_samples": 256, "steps": 40, "divergence": "hutchinson", "relax_steps": 20,
                   "relax_step_size": 1.0e-4},
        "metrics": {"reference": "data/lj13/reference", "max_samples": 1000,
                    "equivariant_samples": 64},
    }


def test_a_config_given_as_a_dict_runs_the_same(python_run, repo, tmp_path):
    out, _, _ = python_run
    mine = tmp_path / "dict"
    pita.run(smoke_config_as_dict(), mine, overrides=short_run_overrides(repo))
    for f in COMPARED:
        assert (mine / f).read_bytes() == (out / f).read_bytes(), f"{f} differs"


def test_resume_of_a_finished_run_keeps_its_samples(python_run, repo):
    out, metrics, _ = python_run
    before = (out / "T3/samples.npy").read_bytes()
    again = pita.run(repo / "configs/smoke.yaml", out, overrides=short_run_overrides(repo),
                     resume=True)
    assert (out / "T3/samples.npy").read_bytes() == before
    assert again["energy_evaluations"] == metrics["energy_evaluations"]
    with pytest.raises(pita.ConfigError, match="resume=True without out_dir"):
        pita.run(repo / "configs/smoke.yaml", resume=True)


def test_ctrl_c_stops_a_run(repo, tmp_path):
    """SIGINT while the C++ loop runs (the GIL released, no callback) raises KeyboardInterrupt."""
    import signal
    import subprocess
    import sys
    import time

    out = tmp_path / "interrupted"
    code = f"import pita; pita.run({str(repo / 'configs/smoke.yaml')!r}, {str(out)!r}, " \
           "overrides=['threads=1'])"
    proc = subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not (out / "run.json").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)  # inside the data phase (the full smoke run takes ~15 s)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode != 0 and "KeyboardInterrupt" in err, err
