// The sample metrics' costly loop: the equivariant W2 between two LJ-13 sample sets, whose N·M
// alignments (a permutation and rotation search per pair) run row-parallel over the generated
// set. The exact transport on the finished cost matrix runs on one thread and is included.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <benchmark/benchmark.h>

#include "pita/core/rng.h"
#include "pita/energy/lennard_jones.h"
#include "pita/metrics/sample_metrics.h"

namespace {

/// Args: samples per set (N = M), threads.
void BM_EquivariantW2LennardJones13(benchmark::State& state) {
    at::set_num_threads(static_cast<int>(state.range(1)));
    const pita::LennardJones lj;
    at::Generator gen = pita::make_generator(3);
    const int64_t n = state.range(0);
    const at::Tensor a = lj.initial_configurations(n, gen);
    const at::Tensor b = lj.initial_configurations(n, gen);
    for (auto _ : state) benchmark::DoNotOptimize(pita::equivariant_w2(a, b));
    state.counters["alignments/s"] = benchmark::Counter(
        static_cast<double>(state.iterations() * n * n), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_EquivariantW2LennardJones13)
    ->ArgNames({"samples", "threads"})
    ->ArgsProduct({{1, 64}, {1, 2}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
