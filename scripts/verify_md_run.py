#!/usr/bin/python3
"""Check a `pita md` run directory with OpenMM and mdtraj, independently of pita's code.

For every T<t>/ folder it takes a few frames and checks that
  * energies.npy (the target's units, kJ/mol / (R * 1 K)) equals OpenMM's Reference-platform
    potential energy of the same frames (frames.npy, nm) built from the run's System XML;
  * trajectory.dcd, read by mdtraj with the run's PDB as topology, holds frames.npy;
  * torsions.npy equals mdtraj's phi/psi of the same frames.
Frames are stored in float32, so energies agree to ~1e-3 kJ/mol, not to round-off.

Usage: /usr/bin/python3 scripts/verify_md_run.py RUN_DIR [--frames 50]
(Debian's python3 with python3-simtk and python3-mdtraj: the pyenv python cannot import openmm.)
"""
import argparse
import glob
import json
import os
import sys

import numpy as np
import openmm
import openmm.unit as unit

R_KJ_PER_MOL_K = 1.380649e-23 * 6.02214076e23 / 1000.0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("run_dir")
    ap.add_argument("--frames", type=int, default=50, help="frames checked per temperature")
    args = ap.parse_args()
    record = json.load(open(os.path.join(args.run_dir, "run.json")))
    names = json.load(open(os.path.join(args.run_dir, "md.json"))).get("torsion_names", [])
    energy = record["config"]["energy"]
    # Paths in the config are relative to where pita ran: the repository root, as a rule.
    system_xml, pdb = energy["system"], energy["pdb"]
    system = openmm.XmlSerializer.deserialize(open(system_xml).read())
    context = openmm.Context(system, openmm.VerletIntegrator(0.001),
                             openmm.Platform.getPlatformByName("Reference"))
    rng = np.random.default_rng(0)
    worst = {"energy_kj_mol": 0.0, "dcd_nm": 0.0, "torsion_rad": 0.0}
    try:
        import mdtraj
    except ImportError:
        mdtraj = None
        print("mdtraj not importable: DCD and torsion checks skipped (apt install python3-mdtraj)")
    for folder in sorted(glob.glob(os.path.join(args.run_dir, "T*"))):
        frames = np.load(os.path.join(folder, "frames.npy"))
        flat = frames.reshape(-1, frames.shape[-2], 3).astype(np.float64)
        energies = np.load(os.path.join(folder, "energies.npy")) * R_KJ_PER_MOL_K
        pick = rng.choice(len(flat), size=min(args.frames, len(flat)), replace=False)
        diffs = []
        for i in pick:
            context.setPositions(flat[i] * unit.nanometer)
            u = context.getState(getEnergy=True).getPotentialEnergy().value_in_unit(
                unit.kilojoule_per_mole)
            diffs.append(abs(u - energies[i]))
        line = f"{os.path.basename(folder)}: {len(flat)} frames; energy |pita - OpenMM| max " \
               f"{max(diffs):.2e} kJ/mol"
        worst["energy_kj_mol"] = max(worst["energy_kj_mol"], max(diffs))
        if mdtraj is not None and os.path.exists(os.path.join(folder, "trajectory.dcd")):
            traj = mdtraj.load_dcd(os.path.join(folder, "trajectory.dcd"), top=pdb)
            dcd = float(np.abs(traj.xyz - flat.astype(np.float32)).max())
            worst["dcd_nm"] = max(worst["dcd_nm"], dcd)
            line += f"; DCD {traj.n_frames} frames, max |dcd - npy| {dcd:.1e} nm"
            tors_file = os.path.join(folder, "torsions.npy")
            if os.path.exists(tors_file):
                # md.json names the columns: all phi, then all psi, then omega, by residue, the
                # order of mdtraj's compute_phi / compute_psi.
                tors = np.load(tors_file).reshape(len(flat), -1)
                kinds = [n.split()[0] for n in names]
                t = 0.0
                for kind, compute in (("phi", mdtraj.compute_phi), ("psi", mdtraj.compute_psi)):
                    ours = tors[:, [k for k, n in enumerate(kinds) if n == kind]]
                    theirs = compute(traj)[1]
                    if ours.shape != theirs.shape:
                        raise SystemExit(f"{folder}: {ours.shape[1]} {kind} columns, mdtraj finds "
                                         f"{theirs.shape[1]}")
                    t = max(t, float(np.abs(np.angle(np.exp(1j * (ours - theirs)))).max()))
                worst["torsion_rad"] = max(worst["torsion_rad"], t)
                line += f"; phi/psi vs mdtraj max {t:.1e} rad"
        print(line)
    print(json.dumps(worst))
    ok = worst["energy_kj_mol"] < 0.05 and worst["dcd_nm"] < 1e-5 and worst["torsion_rad"] < 1e-3
    print("OK" if ok else "MISMATCH")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
