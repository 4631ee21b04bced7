"""Shared fixtures of the pytest suite of the Python module `pita`.

Run from the build tree: PYTHONPATH=build/python /usr/bin/python3 -m pytest python/tests
(ctest -R python_tests does this). PITA_BINARY names the `pita` command-line tool that the
equivalence tests compare against (default: build/apps/pita/pita next to the module).
"""
import os
import pathlib
import subprocess

import pytest
import torch

import pita

REPO = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def repo() -> pathlib.Path:
    return REPO


@pytest.fixture(scope="session")
def pita_binary() -> str:
    path = os.environ.get("PITA_BINARY")
    if not path:
        module_dir = pathlib.Path(pita.__file__).resolve().parent
        path = str(module_dir.parents[1] / "apps" / "pita" / "pita")
    if not os.path.exists(path):
        pytest.skip(f"the pita command-line tool is not at {path} (set PITA_BINARY)")
    return path


@pytest.fixture(scope="session")
def run_cli(pita_binary):
    """Runs `pita ARGS...` from the repository root; fails the test with its output."""

    def run(*args: str) -> str:
        done = subprocess.run([pita_binary, *args], cwd=REPO, capture_output=True, text=True)
        assert done.returncode == 0, f"pita {' '.join(args)}: exit {done.returncode}\n" + (
            done.stdout + done.stderr
        )
        return done.stdout

    return run


@pytest.fixture()
def one_thread():
    """LibTorch's intra-op threads = 1 for the test (results depend on the thread count)."""
    saved = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(saved)


def aldp_files(repo: pathlib.Path):
    return repo / "data/molecules/aldp.system.xml", repo / "data/molecules/aldp.pdb"
