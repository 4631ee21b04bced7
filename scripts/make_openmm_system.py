#!/usr/bin/python3
"""Turn a peptide PDB into the serialised OpenMM System of PITA's molecular targets.

Generated files in data/molecules/ were made with (from the repository root):

    /usr/bin/python3 scripts/make_openmm_system.py \
        /work/shared/data/molecules/aldp.pdb /work/shared/data/molecules/aaa.pdb \
        /work/shared/data/molecules/aaaa.pdb --out data/molecules

and the GBSAOBCForce test fixture (not a PITA target) with

    /usr/bin/python3 scripts/make_openmm_system.py data/molecules/aldp.pdb \
        --out tests/fixtures/molecule --force-field amber99sbildn.xml amber99_obc.xml \
        --suffix _amber99_obc --no-pdb-copy

Settings are the reference code's (PITA-SPEC §1.2, `pita/src/energies/alp_energy.py`):
ForceField("amber14-all.xml", "implicit/obc1.xml").createSystem(nonbondedMethod=CutoffNonPeriodic,
nonbondedCutoff=2.0 nm, constraints=None), everything else left at OpenMM's defaults as the
reference leaves it: rigidWater (irrelevant: no water), no hydrogen mass repartitioning,
removeCMMotion=True (a CMMotionRemover, which has no energy; pita's force field ignores it).
Note that implicit/obc1.xml sets the NonbondedForce's reaction-field dielectric to 1.

For each input <dir>/<name>.pdb this writes <out>/<name>.pdb (a byte copy) and
<out>/<name>.system.xml (OpenMM XmlSerializer, read by pita::ForceField), and prints the
energy at the PDB structure per force, so a reader can check a regenerated file at a glance.
Needs Debian's python3-openmm (OpenMM 7.7); the XML layout is the one OpenMM 7.7 writes.
"""
import argparse
import os
import shutil
import sys

import openmm
import openmm.app as app
import openmm.unit as unit

FORCE_FIELD_FILES = ("amber14-all.xml", "implicit/obc1.xml")
CUTOFF_NM = 2.0


def make_system(pdb, force_field_files=FORCE_FIELD_FILES):
    force_field = app.ForceField(*force_field_files)
    return force_field.createSystem(
        pdb.topology,
        nonbondedMethod=app.CutoffNonPeriodic,
        nonbondedCutoff=CUTOFF_NM * unit.nanometer,
        constraints=None,
        rigidWater=False,
        hydrogenMass=None,
    )


def energies_by_force(system, positions):
    """Potential energy (kJ/mol) of each force, one force group each, on the Reference platform."""
    for i, force in enumerate(system.getForces()):
        force.setForceGroup(i)
    integrator = openmm.VerletIntegrator(0.001)
    context = openmm.Context(system, integrator, openmm.Platform.getPlatformByName("Reference"))
    context.setPositions(positions)
    out = []
    for i, force in enumerate(system.getForces()):
        state = context.getState(getEnergy=True, groups={i})
        out.append((type(force).__name__, state.getPotentialEnergy().value_in_unit(unit.kilojoule_per_mole)))
    for force in system.getForces():
        force.setForceGroup(0)  # serialise with OpenMM's default groups
    return out


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("pdbs", nargs="+", help="input PDB files; the output name is the stem")
    parser.add_argument("--out", required=True, help="output directory (data/molecules)")
    parser.add_argument("--force-field", nargs="+", default=list(FORCE_FIELD_FILES),
                        help="force-field XMLs (default: the reference's amber14-all + obc1)")
    parser.add_argument("--suffix", default="", help="appended to the output name")
    parser.add_argument("--no-pdb-copy", action="store_true", help="write the System XML only")
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    for path in args.pdbs:
        name = os.path.splitext(os.path.basename(path))[0]
        pdb = app.PDBFile(path)
        system = make_system(pdb, args.force_field)
        name += args.suffix
        pdb_out = os.path.join(args.out, name + ".pdb")
        if not args.no_pdb_copy and os.path.abspath(path) != os.path.abspath(pdb_out):
            shutil.copyfile(path, pdb_out)
        with open(os.path.join(args.out, name + ".system.xml"), "w") as f:
            f.write(openmm.XmlSerializer.serialize(system))
        terms = energies_by_force(system, pdb.positions)
        total = sum(e for _, e in terms)
        print(f"{name}: {system.getNumParticles()} atoms, E = {total:.6f} kJ/mol at the PDB structure")
        for force_name, e in terms:
            print(f"  {force_name:24s} {e:14.6f}")


if __name__ == "__main__":
    main(sys.argv[1:])
