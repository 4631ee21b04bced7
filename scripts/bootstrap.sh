#!/usr/bin/env bash
# The README's first command: install what is missing, build (Release), run the main job — the
# whole PITA loop on LJ-13 from T = 4 down to T = 1 (`pita run configs/lj13.yaml`, about half an
# hour on 2 cores). Extra arguments go to `pita run`, e.g.
#   scripts/bootstrap.sh --out runs/lj13 --threads 2
#   scripts/bootstrap.sh --resume runs/lj13       # after an interruption
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DPITA_BUILD_TESTS=OFF \
  -DPITA_BUILD_BENCHMARKS=OFF
cmake --build build --target pita
./build/apps/pita/pita run configs/lj13.yaml "$@"
