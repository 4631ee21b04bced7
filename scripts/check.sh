#!/usr/bin/env bash
# The README's second command, and exactly what CI runs: install what is missing, build
# everything with warnings as errors, run the unit and statistical tests and a benchmark smoke
# pass (Release), then the unit test binary again under ASan/UBSan (Debug). The slow
# 'validation' label is opt-in (-DPITA_VALIDATION=ON; ctest -L validation).
set -euo pipefail
cd "$(dirname "$0")/.."
# LibTorch's OpenMP threads spin while they wait by default; with two tests at a time on two cores
# the spinning threads of one test steal the other's core (a 27 s test took over 4 minutes).
export OMP_WAIT_POLICY=PASSIVE
scripts/install-deps.sh
# Formatting is part of the build contract (.clang-format; clang-format 14 is on the image).
if command -v clang-format >/dev/null; then
  git ls-files '*.h' '*.cpp' | xargs clang-format --dry-run --Werror
fi
# Unity builds: CMake compiles batches of 8 source files as one translation unit, so LibTorch's
# headers (~6 s per unit) and the inline code every file instantiates are compiled once per batch.
# Measured on the 2-core machine: pita_core in 3.5 min instead of 9.5 (docs/BENCHMARKS.md). Every
# source must therefore compile beside others (no clashing names in anonymous namespaces).
cmake -S . -B build-check -G Ninja -DCMAKE_BUILD_TYPE=Release -DPITA_WARNINGS_AS_ERRORS=ON \
  -DCMAKE_UNITY_BUILD=ON
cmake --build build-check
# Two tests at a time: most start the binary (about 1 s of single-threaded LibTorch start-up)
# and a 2-core CI machine would otherwise idle one core; no test depends on wall-clock speed
# except the kill-mid-run tests, which only need the run to outlast their timer.
ctest --test-dir build-check --label-exclude validation --output-on-failure --timeout 900 -j2

# Our own code under AddressSanitizer + UndefinedBehaviorSanitizer (Debug, unit label). LibTorch is
# not instrumented; tcmalloc is dropped in this build (it cannot coexist with ASan's allocator).
# Line tables (-g1) are all a sanitizer's stack trace needs; full debug info of LibTorch's headers
# made this build a third slower.
cmake -S . -B build-sanitize -G Ninja -DCMAKE_BUILD_TYPE=Debug "-DPITA_SANITIZE=address;undefined" \
  -DPITA_BUILD_BENCHMARKS=OFF -DPITA_WARNINGS_AS_ERRORS=ON -DCMAKE_UNITY_BUILD=ON \
  -DCMAKE_CXX_FLAGS_DEBUG=-g1
# Only what runs under the sanitizers: the binary and the unit tests.
cmake --build build-sanitize --target pita pita_unit_tests
# One process for the whole binary, not ctest's one per test: under ASan each process start costs
# ~5 s (the instrumented binary and LibTorch's start-up), which over ~450 tests was most of CI's
# time. The time limit replaces ctest's per-test one.
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  timeout 3600 build-sanitize/tests/pita_unit_tests --gtest_brief=1
