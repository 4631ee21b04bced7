"""pita: Boltzmann sampling by Progressive Inference-Time Annealing, from Python.

The engine is pita's C++ library (the extension ``pita._pita``); this package adds the target
constructors. Tensors cross without copies: an argument is read where it lies, and a result is a
``torch.Tensor`` around the library's own memory.

    import torch, pita
    lj = pita.lennard_jones(n_particles=13)
    x = lj.initial_configurations(8)
    e, f = lj.energy_and_force(x)
    out = pita.parallel_tempering(lj, temperatures=[1.0], n_chains=16, warmup_steps=200,
                                  production_steps=400, thin=10, seed=1)
    metrics = pita.run("configs/smoke.yaml", "runs/smoke", overrides=["threads=1"])

Errors are pita.Error subclasses carrying the library's message: ConfigError (also a
ValueError), IoError (an OSError), NumericalError (an ArithmeticError), InternalError.
"""

# torch first: the extension converts torch.Tensor <-> at::Tensor through torch's Python types.
import torch  # noqa: F401

from ._pita import (  # noqa: F401
    ChainState,
    Checkpoint,
    ConfigError,
    Error,
    InternalError,
    IoError,
    Mala,
    NumericalError,
    Target,
    __version__,
    configurational_temperature,
    distance_w2,
    energy_distances,
    equivariant_w2,
    git_hash,
    load_checkpoint,
    make_target,
    parallel_tempering,
    ramachandran_kl,
    remove_mean,
    rugh_temperature,
    run,
    torsion_distances,
)

__all__ = [
    "ChainState",
    "Checkpoint",
    "ConfigError",
    "Error",
    "InternalError",
    "IoError",
    "Mala",
    "NumericalError",
    "Target",
    "configurational_temperature",
    "distance_w2",
    "double_well",
    "energy_distances",
    "equivariant_w2",
    "gaussian",
    "gmm",
    "lennard_jones",
    "load_checkpoint",
    "make_target",
    "molecule",
    "parallel_tempering",
    "ramachandran_kl",
    "remove_mean",
    "rugh_temperature",
    "run",
    "torsion_distances",
]


def lennard_jones(**options) -> Target:
    """The Lennard-Jones cluster of spec section 1 (LJ-13 by default).

    Keys (defaults): n_particles (13), spatial_dim (3), epsilon (1.0), r_min (1.0),
    energy_factor (1.0), oscillator_scale (1.0), regulariser (1e-6).
    """
    return make_target({"type": "lennard_jones", **options})


def double_well(**options) -> Target:
    """DW-4: four particles in 2-D with a double-well pair potential.

    Keys (defaults): n_particles (4), spatial_dim (2), a (0.0), b (-4.0), c (0.9), d0 (4.0),
    tau (1.0), regulariser (1e-6).
    """
    return make_target({"type": "double_well", **options})


def gmm() -> Target:
    """The 40-mode 2-D Gaussian mixture of spec section 1.5."""
    return make_target({"type": "gmm"})


def gaussian(**options) -> Target:
    """An isotropic Gaussian, E = |x|^2 / (2 variance) + (D/2) log(2 pi variance) = -log p.

    Keys (defaults): n_particles (1), spatial_dim (2), variance (1.0).
    """
    return make_target({"type": "gaussian", **options})


def molecule(system: str, pdb: str, **options) -> Target:
    """A peptide from an OpenMM System XML and its PDB (atoms in the System's order).

    Coordinates are normalised (mean-free, divided by length_scale); energies are in k_B * 1 K.
    Keys (defaults): length_scale (0: the reference's value for the atom count), engine
    ("force_field" or "openmm"), openmm_platform ("cpu"), openmm_workers (0), initial_noise (0).
    Relative paths are taken from the current directory. Needs a build with OpenMM.
    """
    return make_target({"type": "molecule", "system": str(system), "pdb": str(pdb), **options})
