#!/usr/bin/env python3
"""Fuzz suite of the pita command line (issue 12): bad input must give a clean error.

For every config key that `pita run`, `md`, `mcmc`, `train`, `anneal`, `diagnose` and `score-check` accept (their
resolved configs, from `--print-config`), bad values (wrong type, empty, negative, zero, NaN,
±inf, huge) are tried with `--check`; then mutated .npy files, OpenMM System XMLs, PDBs and
checkpoints truncated at random offsets go through the commands that read them. Each case must
end with exit code 2 and a message naming the key or the file, or 0 where the value is valid;
never a signal, never exit 3 ("unexpected failure"), never past its time limit, and never with a
partially written output left behind. The totals are printed at the end.

    tests/fuzz/fuzz_cli.py --pita build/apps/pita/pita [--seed 1] [--values-per-key 4] [--full]

Seeded: the same seed tries the same cases. --values-per-key draws that many of each key's bad
values (all of them with --full). Exit status 0 only when every case passed.
"""
import argparse
import concurrent.futures
import json
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile
import time

SOURCE = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# Bad values by the kind of the key's resolved value.
BAD_INT = ["abc", "1.5", "", "-1", "0", "-9223372036854775808", "99999999999999999999", "nan",
           "1e30", "[1, 2]", "{a: 1}", "true"]
BAD_FLOAT = ["abc", "", "-1", "0", "nan", ".inf", "-.inf", "1e308", "-1e308", "[1.0]", "{a: 1}"]
BAD_BOOL = ["maybe", "", "2", "[true]", "{a: 1}"]
BAD_STRING = ["", "[1, 2]", "{a: 1}", "zz_not_a_choice", "/nonexistent/path/x"]
BAD_LIST = ["", "abc", "[]", "[nan]", "[-1]", "[1e308, 1]", "{a: 1}", "[[1]]", "3"]

# Keys not fuzzed through the config: where the run writes (each case gets its own directory)
# and the device (a CUDA request on a CPU machine is its own test).
SKIP_KEYS = {"output_dir", "device"}


class Totals:
    def __init__(self):
        self.tried = 0
        self.clean_errors = 0
        self.accepted = 0
        self.accepted_cases = []
        self.crashes = []
        self.hangs = []
        self.unnamed = []
        self.leftovers = []

    def failures(self):
        return self.crashes + self.hangs + self.unnamed + self.leftovers


def run(cmd, timeout):
    """(exit code or None on timeout, output); a signal gives 128 + its number."""
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout,
                           cwd=SOURCE, env=dict(os.environ, OMP_NUM_THREADS="1",
                                                OMP_WAIT_POLICY="PASSIVE"))
    except subprocess.TimeoutExpired as e:
        return None, (e.output or b"").decode(errors="replace")
    code = p.returncode if p.returncode >= 0 else 128 - p.returncode
    return code, p.stdout.decode(errors="replace")


def stray_temporaries(path):
    found = []
    for root, _, files in os.walk(path):
        found += [os.path.join(root, f) for f in files if f.endswith(".tmp")]
    return found


def judge(totals, label, code, output, must_name, out_dir=None):
    """Records one case. `must_name`: strings of which at least one must be in the message."""
    totals.tried += 1
    tail = output.strip().splitlines()[-3:] if output.strip() else ["(no output)"]
    what = f"{label}: " + " | ".join(tail)[:400]
    if code is None:
        totals.hangs.append(what)
        return
    if code == 3 or code >= 128 or code not in (0, 2):
        totals.crashes.append(f"rc {code} {what}")
        return
    if out_dir and os.path.isdir(out_dir) and stray_temporaries(out_dir):
        totals.leftovers.append(f"{label}: {stray_temporaries(out_dir)}")
        return
    if code == 0:
        totals.accepted += 1
        totals.accepted_cases.append(label)
        return
    if must_name and not any(n in output for n in must_name):
        totals.unnamed.append(f"{label} (expected one of {must_name}): {what}")
        return
    totals.clean_errors += 1


def leaf_keys(resolved, prefix=""):
    for k, v in resolved.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            yield from leaf_keys(v, key + ".")
        else:
            yield key, v


def bad_values(value):
    if isinstance(value, bool):
        return BAD_BOOL
    if isinstance(value, int):
        return BAD_INT
    if isinstance(value, float):
        return BAD_FLOAT
    if isinstance(value, list):
        return BAD_LIST
    return BAD_STRING


def fuzz_config_keys(pita, totals, rng, scratch, args, pool):
    """Every key of every command's resolved config, bad values through --check."""
    commands = [
        ("run", "configs/smoke.yaml", []),
        ("mcmc", "configs/lj13-data.yaml", []),
        ("train", "configs/lj13-train.yaml", [f"data.samples={scratch}/good.npy"]),
        ("anneal", f"{scratch}/anneal.yaml", []),
        ("md", "configs/aldp-md.yaml", []),
        ("diagnose", "configs/lj13-data.yaml", []),
        ("score-check", f"{scratch}/score_check.yaml", []),
    ]
    jobs = []
    for command, config, extra in commands:
        code, output = run([pita, command, config, *extra, "--print-config"], 60)
        if code != 0:
            totals.tried += 1
            totals.crashes.append(f"{command} {config} --print-config: rc {code}: {output[-300:]}")
            continue
        resolved = json.loads(output)
        for key, value in leaf_keys(resolved):
            if key in SKIP_KEYS:
                continue
            values = bad_values(value)
            if not args.full:
                values = rng.sample(values, min(args.values_per_key, len(values)))
            for v in values:
                out_dir = os.path.join(scratch, "out", f"{command}-{len(jobs)}")
                cmd = [pita, command, config, *extra, f"{key}={v}", "--check", "--out",
                       out_dir]
                jobs.append((f"{command} {key}={v!r}", cmd, [key, key.split(".")[-1]], out_dir))
    run_jobs(jobs, totals, pool, args.time_limit)


def run_jobs(jobs, totals, pool, time_limit):
    futures = {pool.submit(run, cmd, time_limit): (label, cmd, names, out)
               for label, cmd, names, out in jobs}
    for f in concurrent.futures.as_completed(futures):
        label, cmd, names, out = futures[f]
        code, output = f.result()
        judge(totals, label, code, output, names, out)
        if out and "--check" in cmd and os.path.isdir(out) and os.listdir(out):
            totals.leftovers.append(f"{label}: --check wrote {os.listdir(out)}")


# ---- files -------------------------------------------------------------------------------------
def npy_bytes(shape, values, dtype="<f4"):
    dims = f"({shape[0]},)" if len(shape) == 1 else "(" + ", ".join(map(str, shape)) + ")"
    header = "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (dtype, dims)
    header += " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"
    fmt = {"<f4": "f", "<f8": "d"}[dtype]
    payload = struct.pack("<%d%s" % (len(values), fmt), *values)
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() + payload


def npy_mutations(good, rng):
    header_len = struct.unpack("<H", good[8:10])[0]
    header_end = 10 + header_len
    muts = {
        "bad-magic": b"\x93NUMPZ" + good[6:],
        "version-9": good[:6] + b"\x09\x00" + good[8:],
        "header-len-huge": good[:8] + struct.pack("<H", 65535) + good[10:],
        "header-len-zero": good[:8] + struct.pack("<H", 0) + good[10:],
        "empty-file": b"",
        "magic-only": good[:6],
        "no-payload": good[:header_end],
        "extra-bytes": good + b"\x00" * 13,
    }
    text = good[10:header_end].decode()
    for name, a, b in [("dtype-int32", "<f4", "<i4"), ("dtype-bool", "<f4", "|b1"),
                       ("dtype-complex", "<f4", "<c16"), ("dtype-bigendian", "<f4", ">f4"),
                       ("fortran", "False", "True"), ("shape-negative", "(64,", "(-64,"),
                       ("shape-huge", "(64,", "(9223372036854775807,"),
                       ("shape-mismatch", "(64,", "(65,"), ("shape-word", "(64,", "(x,"),
                       ("descr-missing", "'descr'", "'dscr'")]:
        t = text.replace(a, b, 1)
        t = t.rstrip("\n")
        t += " " * ((64 - (10 + len(t) + 1) % 64) % 64) + "\n"
        muts[name] = good[:8] + struct.pack("<H", len(t)) + t.encode() + good[header_end:]
    for k in range(6):
        cut = rng.randrange(1, len(good))
        muts[f"truncated-{cut}"] = good[:cut]
    for k in range(4):
        b = bytearray(good)
        pos = rng.randrange(0, header_end)
        b[pos] = rng.randrange(0, 256)
        muts[f"header-byte-{pos}"] = bytes(b)
    nan = bytearray(good)
    nan[header_end:header_end + 4] = struct.pack("<f", float("nan"))
    muts["nan-payload"] = bytes(nan)
    inf = bytearray(good)
    inf[header_end:header_end + 4] = struct.pack("<f", float("inf"))
    muts["inf-payload"] = bytes(inf)
    huge = bytearray(good)
    huge[header_end:header_end + 4] = struct.pack("<f", 3e38)
    muts["huge-payload"] = bytes(huge)
    return muts


def fuzz_npy(pita, totals, rng, scratch, pool, time_limit):
    good = open(f"{scratch}/good.npy", "rb").read()
    jobs = []
    for name, data in npy_mutations(good, rng).items():
        path = f"{scratch}/npy-{name}.npy"
        open(path, "wb").write(data)
        out = f"{scratch}/out/train-npy-{name}"
        cmd = [pita, "train", "configs/lj13-train.yaml", f"data.samples={path}", "train.steps=2",
               "train.batch_size=8", "--threads", "1", "--out", out]
        jobs.append((f"train data.samples={name}", cmd, [path, "data.samples"], out))
    run_jobs(jobs, totals, pool, time_limit)


def aldp_files():
    xml = open(os.path.join(SOURCE, "data/molecules/aldp.system.xml")).read()
    pdb = open(os.path.join(SOURCE, "data/molecules/aldp.pdb")).read()
    return xml, pdb


def xml_mutations(xml, rng):
    import re
    muts = {}
    for tag, attr, bad in [("Bond", "p1", "99"), ("Bond", "p2", "-1"), ("Angle", "p2", "22"),
                           ("Angle", "p3", "-5"), ("Torsion", "p1", "-1"), ("Torsion", "p4", "22"),
                           ("Exception", "p1", "22"), ("Exception", "p2", "-3"),
                           ("Bond", "d", "nan"), ("Bond", "k", "abc")]:
        m = re.search(r"<%s [^>]*%s=\"[^\"]*\"" % (tag, attr), xml)
        if not m:
            continue
        s = m.group(0)
        t = re.sub(r'%s="[^"]*"' % attr, f'{attr}="{bad}"', s, count=1)
        muts[f"{tag}-{attr}={bad}"] = xml[:m.start()] + t + xml[m.end():]
    m = re.search(r"<Bond [^>]*/>", xml)
    if m:
        muts["bond-missing-p2"] = xml[:m.start()] + re.sub(r' p2="[^"]*"', "", m.group(0)) + \
            xml[m.end():]
    m = re.search(r"<Particle [^>]*/>", xml)
    if m:
        muts["extra-particle"] = xml[:m.start()] + m.group(0) + m.group(0) + xml[m.end():]
        muts["missing-particle"] = xml[:m.start()] + xml[m.end():]
    m = re.search(r'<Force [^>]*type="HarmonicBondForce"', xml)
    if m:
        muts["unknown-force"] = xml.replace('type="HarmonicBondForce"', 'type="CMAPTorsionForce"',
                                            1)
    muts["truncated-half"] = xml[:len(xml) // 2]
    muts["empty"] = ""
    muts["not-xml"] = "this is not xml\n"
    for k in range(3):
        cut = rng.randrange(1, len(xml))
        muts[f"truncated-{cut}"] = xml[:cut]
    return muts


def pdb_mutations(pdb, rng):
    lines = pdb.splitlines(keepends=True)
    atoms = [i for i, l in enumerate(lines) if l.startswith(("ATOM", "HETATM"))]
    muts = {}
    muts["missing-atom"] = "".join(l for i, l in enumerate(lines) if i != atoms[3])
    muts["extra-atom"] = "".join(lines[:atoms[-1] + 1] + [lines[atoms[-1]]] + lines[atoms[-1] + 1:])
    swapped = list(lines)
    swapped[atoms[0]], swapped[atoms[5]] = swapped[atoms[5]], swapped[atoms[0]]
    muts["reordered"] = "".join(swapped)
    for name, value in [("nan", "     nan"), ("inf", "     inf"), ("garbage", "  x1.2.3"),
                        ("huge", "1.0e+300")]:
        l = lines[atoms[2]]
        changed = list(lines)
        changed[atoms[2]] = l[:30] + value + l[38:]
        muts[f"coordinate-{name}"] = "".join(changed)
    short = list(lines)
    short[atoms[1]] = short[atoms[1]][:20] + "\n"
    muts["short-line"] = "".join(short)
    muts["no-atoms"] = "".join(l for l in lines if not l.startswith(("ATOM", "HETATM")))
    muts["empty"] = ""
    return muts


def fuzz_molecule_files(pita, totals, rng, scratch, pool, time_limit):
    xml, pdb = aldp_files()
    jobs = []
    for name, text in xml_mutations(xml, rng).items():
        path = f"{scratch}/xml-{name}.system.xml"
        open(path, "w").write(text)
        for engine in ("force_field", "openmm"):
            cmd = [pita, "diagnose", "configs/aldp-md.yaml", f"energy.system={path}",
                   f"energy.engine={engine}", "diagnose.batch=2"]
            jobs.append((f"diagnose xml {name} ({engine})", cmd, [path], None))
        out = f"{scratch}/out/md-xml-{name}"
        cmd = [pita, "md", "configs/aldp-md.yaml", f"energy.system={path}", "md.n_replicas=2",
               "md.n_frames=1", "md.steps_per_frame=2", "md.warmup_steps=0", "--out", out]
        jobs.append((f"md xml {name}", cmd, [path], out))
    for name, text in pdb_mutations(pdb, rng).items():
        path = f"{scratch}/pdb-{name}.pdb"
        open(path, "w").write(text)
        cmd = [pita, "diagnose", "configs/aldp-md.yaml", f"energy.pdb={path}", "diagnose.batch=2"]
        jobs.append((f"diagnose pdb {name}", cmd, [path], None))
        out = f"{scratch}/out/md-pdb-{name}"
        cmd = [pita, "md", "configs/aldp-md.yaml", f"energy.pdb={path}", "md.n_replicas=2",
               "md.n_frames=1", "md.steps_per_frame=2", "md.warmup_steps=0", "--out", out]
        jobs.append((f"md pdb {name}", cmd, [path], out))
    run_jobs(jobs, totals, pool, time_limit)


def fuzz_checkpoints(pita, totals, rng, scratch, pool, time_limit):
    good = open(f"{scratch}/train/train/checkpoint.pt", "rb").read()
    jobs = []
    offsets = sorted(rng.sample(range(1, len(good)), 8)) + [len(good) // 2, 64]
    for cut in offsets:
        path = f"{scratch}/ckpt-{cut}.pt"
        open(path, "wb").write(good[:cut])
        cmd = [pita, "anneal", f"{scratch}/anneal.yaml", f"anneal.checkpoint={path}", "--check"]
        jobs.append((f"anneal checkpoint truncated at {cut}", cmd, [path], None))
        run_dir = f"{scratch}/resume-{cut}"
        shutil.copytree(f"{scratch}/train", run_dir)
        shutil.copy(path, f"{run_dir}/train/checkpoint.pt")
        cmd = [pita, "train", "configs/lj13-train.yaml", f"data.samples={scratch}/good.npy",
               "train.steps=4", "train.batch_size=8", "train.checkpoint_every=2", "--threads",
               "1", "--seed", "1", "--resume", run_dir]
        jobs.append((f"train --resume checkpoint truncated at {cut}", cmd,
                     ["checkpoint.pt", run_dir], run_dir))
    run_jobs(jobs, totals, pool, time_limit)


def prepare(pita, scratch):
    """A small valid dataset, a tiny trained checkpoint and an anneal config that uses it."""
    import random as _r
    r = _r.Random(0)
    # LJ-13 on a jittered lattice: finite energies, so the training run is well-behaved.
    rows = []
    for _ in range(64):
        for i in range(13):
            base = [(i % 3) * 1.1, ((i // 3) % 3) * 1.1, (i // 9) * 1.1]
            rows += [b + r.gauss(0, 0.02) for b in base]
    open(f"{scratch}/good.npy", "wb").write(npy_bytes((64, 13, 3), rows))
    code, output = run([pita, "train", "configs/lj13-train.yaml", f"data.samples={scratch}/good.npy",
                        "train.steps=4", "train.batch_size=8", "train.checkpoint_every=2",
                        "--threads", "1", "--seed", "1", "--out", f"{scratch}/train"], 120)
    if code != 0:
        sys.exit(f"fuzz setup: the tiny training run failed (rc {code}):\n{output}")
    open(f"{scratch}/anneal.yaml", "w").write(
        f"seed: 1\nthreads: 1\nanneal:\n  checkpoint: {scratch}/train/train/checkpoint.pt\n"
        "  temperature: 3.0\n  n_samples: 16\n  steps: 4\n  divergence: hutchinson\n")
    os.makedirs(f"{scratch}/held", exist_ok=True)
    shutil.copy(f"{scratch}/good.npy", f"{scratch}/held/samples.npy")
    open(f"{scratch}/score_check.yaml", "w").write(
        f"seed: 1\nthreads: 1\nscore_check:\n  checkpoint: {scratch}/train/train/checkpoint.pt\n"
        f"  samples: {scratch}/held\n  levels: 2\n  max_samples: 8\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pita", required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--values-per-key", type=int, default=4)
    ap.add_argument("--full", action="store_true", help="every bad value of every key")
    ap.add_argument("--time-limit", type=float, default=60.0, help="seconds per case")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--only", choices=["keys", "npy", "molecule", "checkpoints"], default=None)
    ap.add_argument("--verbose", action="store_true", help="also list the cases accepted as valid")
    args = ap.parse_args()
    pita = os.path.abspath(args.pita)
    rng = random.Random(args.seed)
    totals = Totals()
    start = time.time()
    scratch = tempfile.mkdtemp(prefix="pita_fuzz_")
    try:
        prepare(pita, scratch)
        with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
            for part, fn in [("keys", lambda: fuzz_config_keys(pita, totals, rng, scratch, args,
                                                               pool)),
                             ("npy", lambda: fuzz_npy(pita, totals, rng, scratch, pool,
                                                      args.time_limit)),
                             ("molecule", lambda: fuzz_molecule_files(pita, totals, rng, scratch,
                                                                      pool, args.time_limit)),
                             ("checkpoints", lambda: fuzz_checkpoints(pita, totals, rng, scratch,
                                                                      pool, args.time_limit))]:
                if args.only in (None, part):
                    before = totals.tried
                    fn()
                    print(f"[fuzz] {part}: {totals.tried - before} cases", flush=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if args.verbose:
        for label in sorted(totals.accepted_cases):
            print(f"ACCEPTED: {label}")
    for title, items in [("CRASH", totals.crashes), ("HANG", totals.hangs),
                         ("UNNAMED", totals.unnamed), ("LEFTOVER", totals.leftovers)]:
        for item in items:
            print(f"{title}: {item}")
    print(f"[fuzz] seed {args.seed}: {totals.tried} cases tried in {time.time() - start:.0f} s: "
          f"{totals.clean_errors} clean errors, {totals.accepted} accepted as valid, "
          f"{len(totals.crashes)} crashes, {len(totals.hangs)} hangs, "
          f"{len(totals.unnamed)} errors not naming the key or file, "
          f"{len(totals.leftovers)} with partial output left behind")
    failed = len(totals.failures())
    print(f"{totals.tried - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
