#!/usr/bin/env bash
# The README's first command: install what is missing, build (Release), run the main job.
# Until the end-to-end sampler lands, the main job is LJ-13 training-data generation by MALA.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DPITA_BUILD_TESTS=OFF \
  -DPITA_BUILD_BENCHMARKS=OFF
cmake --build build --target pita
./build/apps/pita/pita mcmc configs/lj13-data.yaml "$@"
