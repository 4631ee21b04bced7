#!/usr/bin/env bash
# Installs pita's build and test dependencies from Debian's packages (bookworm).
# Idempotent: does nothing (and needs no root) when everything is already there.
#   scripts/install-deps.sh          build, run and test dependencies
set -euo pipefail

packages=(
  cmake ninja-build g++ ccache pkg-config
  libtorch-dev            # LibTorch 1.13 (CPU): networks, autograd
  libopenblas0-openmp     # without it libtorch uses netlib BLAS (~50x slower, docs/TOOLCHAIN)
  libtcmalloc-minimal4    # glibc malloc is 3-5x slower for big LibTorch tensors
  libopenmm-dev libopenmm-plugins python3-simtk   # OpenMM 7.7: molecules, reference energies
  libeigen3-dev nlohmann-json3-dev libcli11-dev libyaml-cpp-dev libfmt-dev
  liblemon-dev            # network simplex: exact optimal transport for the metrics
  libgtest-dev libgmock-dev libbenchmark-dev
  python3-numpy           # tests check that our .npy files load in numpy
  python3-mdtraj          # tests check that mdtraj reads our DCD and multi-model PDB files
  chromium                # tests open `pita report`'s HTML headless (DOM, screenshot, net log)
  python3-torch pybind11-dev python3-dev python3-pytest  # the Python module `pita` and its tests
)
# --bench is kept for old command lines: python3-torch (the same LibTorch 1.13 build, bench/'s
# side-by-side baseline) is now always installed, for the Python module.

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "[install] all ${#packages[@]} packages present"
  exit 0
fi

echo "[install] installing: ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get -o DPkg::Lock::Timeout=600 update -q
$SUDO apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=600 "${missing[@]}"
