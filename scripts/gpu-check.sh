#!/usr/bin/env bash
# The prepared GPU check (issue 13): on a machine with an NVIDIA GPU and a CUDA PyTorch, build pita
# against that PyTorch's LibTorch, run the unit tests with CUDA enabled, the smoke config and a
# timed slice of configs/lj13-paper.yaml with --device cuda, and write every timing to one file.
# Each step has its own time limit; the whole check fits in 10 minutes on a 16-core GPU machine.
#
#   scripts/gpu-check.sh --bundle     # here (Debian, CPU): pack the Debian libraries pita builds
#                                     # with into gpu-bundle.tar.xz (git-ignored, ~5 MB; the GPU
#                                     # machine can install nothing): carry it there
#   scripts/gpu-check.sh [OUT_DIR]    # there: the check; OUT_DIR (default $OUT, else
#                                     # runs/gpu-check) gets gpu-check.json (every step, its
#                                     # status and seconds), gpu-check.log (the steps' logs) and
#                                     # the runs' state.json (time and evaluations by phase)
#
# Without an NVIDIA GPU, or without a PyTorch that sees one, it says so and exits 0 (skipped), so
# CI and CPU machines can run it. Exit 1 when a step fails, with the step named in the JSON.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BUNDLE="$ROOT/gpu-bundle"

# Debian packages whose headers, libraries and CMake files the build needs (scripts/install-deps.sh
# installs them here). LibTorch itself comes from the GPU machine's PyTorch.
PACKAGES=(libyaml-cpp-dev libyaml-cpp0.7 libfmt-dev libfmt9 libcli11-dev nlohmann-json3-dev
  liblemon-dev libgtest-dev libgmock-dev libeigen3-dev libopenmm-dev libopenmm7.7
  libopenmm-plugins libtcmalloc-minimal4)

if [ "${1:-}" = "--bundle" ]; then
  rm -rf "$BUNDLE" && mkdir -p "$BUNDLE"
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W "$p" >/dev/null 2>&1 || { echo "[gpu-check] missing Debian package $p: run scripts/install-deps.sh" >&2; exit 2; }
    dpkg -L "$p" | while read -r f; do
      case "$f" in /usr/share/doc/*|/usr/share/man/*|/usr/share/lintian/*) continue ;; esac
      if [ -f "$f" ] || [ -L "$f" ]; then mkdir -p "$BUNDLE$(dirname "$f")" && cp -P "$f" "$BUNDLE$f"; fi
    done
  done
  tar -C "$ROOT" -cJf "$ROOT/gpu-bundle.tar.xz" gpu-bundle && rm -rf "$BUNDLE"
  echo "[gpu-check] bundled ${#PACKAGES[@]} packages into gpu-bundle.tar.xz ($(du -h "$ROOT/gpu-bundle.tar.xz" | cut -f1)); carry it: run(carry=[\"gpu-bundle.tar.xz\"])"
  exit 0
fi

OUT_DIR="${1:-${OUT:-runs/gpu-check}}"
WORK="$ROOT/runs/gpu-check-work"  # logs and run directories; OUT_DIR gets a few files only
mkdir -p "$OUT_DIR" "$WORK"
RESULT="$OUT_DIR/gpu-check.json"
declare -a STEPS=()
record() {  # name status seconds [detail]
  STEPS+=("{\"step\": \"$1\", \"status\": \"$2\", \"seconds\": $3, \"detail\": \"${4//\"/\'}\"}")
}
finish() {
  local IFS=,
  printf '{"machine": "%s", "gpu": "%s", "torch": "%s", "steps": [%s]}\n' "$(hostname)" \
    "${GPU_NAME:-none}" "${TORCH_VERSION:-none}" "${STEPS[*]}" > "$RESULT.tmp" && mv "$RESULT.tmp" "$RESULT"
  for f in "$WORK"/*.log; do [ -f "$f" ] && { echo "==== $(basename "$f")"; tail -n 60 "$f"; }; done \
    > "$OUT_DIR/gpu-check.log" 2>/dev/null
  for d in smoke-cuda smoke-cpu lj13-paper-slice; do
    [ -f "$WORK/$d/state.json" ] && cp "$WORK/$d/state.json" "$OUT_DIR/$d-state.json"
  done
  echo "[gpu-check] results in $RESULT"
  exit "$1"
}
# timed NAME LIMIT_S COMMAND...: runs it with a time limit, logs to WORK/NAME.log.
timed() {
  local name=$1 limit=$2; shift 2
  local start=$SECONDS
  echo "[gpu-check] $name (limit ${limit}s)"
  if timeout "$limit" "$@" > "$WORK/$name.log" 2>&1; then
    record "$name" ok $((SECONDS - start)); return 0
  fi
  local rc=$?
  record "$name" "failed (rc $rc)" $((SECONDS - start)) "$(tail -c 300 "$WORK/$name.log" | tr '\n' ' ')"
  echo "[gpu-check] $name failed (rc $rc); see $OUT_DIR/$name.log" >&2
  return 1
}

if ! command -v nvidia-smi >/dev/null 2>&1 || ! nvidia-smi -L >/dev/null 2>&1; then
  echo "[gpu-check] skipped: no NVIDIA GPU here (nvidia-smi absent or sees no device)"
  record detect skipped 0 "no NVIDIA GPU"
  finish 0
fi
GPU_NAME=$(nvidia-smi --query-gpu=name --format=csv,noheader | head -1)
TORCH_PREFIX=$(python3 -c 'import torch; assert torch.cuda.is_available(); print(torch.utils.cmake_prefix_path)' 2>/dev/null) || {
  echo "[gpu-check] skipped: no PyTorch with CUDA here (python3 -c 'import torch; torch.cuda.is_available()')"
  record detect skipped 0 "no CUDA PyTorch"
  finish 0
}
TORCH_VERSION=$(python3 -c 'import torch; print(torch.__version__)')
echo "[gpu-check] $GPU_NAME · torch $TORCH_VERSION"
[ -d "$BUNDLE/usr" ] || [ ! -f "$ROOT/gpu-bundle.tar.xz" ] || tar -C "$ROOT" -xJf "$ROOT/gpu-bundle.tar.xz"
[ -d "$BUNDLE/usr" ] || { record bundle failed 0 "no gpu-bundle.tar.xz: run scripts/gpu-check.sh --bundle on the CPU machine and carry it"; finish 1; }

# The bundle's CMake files name /usr; point them at the bundle, and its libraries at run time.
grep -rl '"/usr/' "$BUNDLE/usr" --include='*.cmake' 2>/dev/null | xargs -r sed -i "s#\"/usr/#\"$BUNDLE/usr/#g"
export LD_LIBRARY_PATH="$BUNDLE/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export OPENMM_PLUGIN_DIR="$BUNDLE/usr/lib/x86_64-linux-gnu/openmm/plugins"
export OMP_WAIT_POLICY=PASSIVE
JOBS=$(nproc)

timed configure 120 cmake -S . -B build-gpu -G Ninja -DCMAKE_BUILD_TYPE=Release \
  "-DCMAKE_PREFIX_PATH=$TORCH_PREFIX;$BUNDLE/usr;$BUNDLE/usr/lib/x86_64-linux-gnu/cmake;$BUNDLE/usr/share/cmake;$BUNDLE/usr/share/eigen3/cmake" \
  "-DCMAKE_INCLUDE_PATH=$BUNDLE/usr/include" "-DCMAKE_LIBRARY_PATH=$BUNDLE/usr/lib/x86_64-linux-gnu" \
  "-DCMAKE_CXX_FLAGS=-isystem $BUNDLE/usr/include -isystem $BUNDLE/usr/include/eigen3" \
  -DPITA_BUILD_BENCHMARKS=OFF -DPITA_USE_CCACHE=OFF || finish 1
timed build 300 cmake --build build-gpu -j "$JOBS" --target pita pita_unit_tests || finish 1
PITA="$ROOT/build-gpu/apps/pita/pita"
timed unit-tests 150 build-gpu/tests/pita_unit_tests --gtest_brief=1
# The CUDA tests skip themselves without a GPU; here a skip is a failure.
timed cuda-tests 60 build-gpu/tests/pita_unit_tests '--gtest_filter=*Gpu*:*Cuda*' &&
  if grep -q "SKIPPED \]" "$WORK/cuda-tests.log"; then
    record cuda-tests-ran "failed (skipped on a GPU machine)" 0 "$(grep 'SKIPPED \]' "$WORK/cuda-tests.log" | head -3 | tr '\n' ' ')"
  fi
rm -rf "$WORK/smoke-cuda" "$WORK/smoke-cpu" "$WORK/lj13-paper-slice"
timed smoke-cuda 120 "$PITA" run configs/smoke.yaml --device cuda --out "$WORK/smoke-cuda"
timed smoke-cpu 120 "$PITA" run configs/smoke.yaml --device cpu --threads "$JOBS" --out "$WORK/smoke-cpu"
# A slice of the paper config: the data phase and 500 steps of the first stage at the paper's batch
# size, then one rung of annealing with 1 000 of its 5 000 particles; the per-step times scale up.
timed lj13-paper-slice 240 "$PITA" run configs/lj13-paper.yaml --device cuda \
  ladder=[4.0,3.0] train.stage_steps=[500] anneal.n_samples=1000 metrics.max_samples=1000 \
  metrics.equivariant_samples=0 --out "$WORK/lj13-paper-slice"
FAILED=0
for s in "${STEPS[@]}"; do case "$s" in *failed*) FAILED=1 ;; esac; done
finish "$FAILED"
