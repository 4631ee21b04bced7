#!/usr/bin/env bash
# Runs pita's benchmarks and the PyTorch baseline in one go and prints the side-by-side table
# that goes into docs/BENCHMARKS.md. Needs: scripts/install-deps.sh --bench, a built build dir.
#   bench/run_benchmarks.sh [build-dir]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
out=$(mktemp -d)
"$build/bench/pita_bench" --benchmark_format=json --benchmark_min_time=0.5 \
  --benchmark_repetitions=3 --benchmark_report_aggregates_only=true > "$out/pita.json"
/usr/bin/python3 bench/baselines/lj_torch.py > "$out/torch.jsonl"
/usr/bin/python3 bench/baselines/train_step_torch.py >> "$out/torch.jsonl"
(cd bench/baselines && /usr/bin/python3 anneal_step_torch.py) >> "$out/torch.jsonl"
/usr/bin/python3 bench/baselines/compare.py "$out/pita.json" "$out/torch.jsonl"
