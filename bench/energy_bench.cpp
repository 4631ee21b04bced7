// Energy + force throughput of the targets (configurations per second), and MALA steps.
// Fixed-seed inputs; thread count is part of each benchmark's name. Compare against the PyTorch
// baseline with bench/run_benchmarks.sh (docs/BENCHMARKS.md).
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <benchmark/benchmark.h>

#include "pita/core/rng.h"
#include "pita/energy/lennard_jones.h"
#include "pita/mcmc/mala.h"

namespace {

using pita::LennardJones;

void set_threads(benchmark::State& state, int index) {
    at::set_num_threads(static_cast<int>(state.range(index)));
}

// LJ-13 energy and analytic forces through the public (counting) interface: the fused CPU loop.
void BM_LennardJones13EnergyForce(benchmark::State& state) {
    set_threads(state, 2);
    LennardJones lj;
    at::Generator gen = pita::make_generator(1);
    const auto dtype = state.range(1) == 32 ? at::kFloat : at::kDouble;
    const at::Tensor x = lj.initial_configurations(state.range(0), gen).to(dtype);
    for (auto _ : state) {
        pita::EnergyAndForce ef = lj.energy_and_force(x);
        benchmark::DoNotOptimize(ef.force.data_ptr());
    }
    state.counters["configs/s"] = benchmark::Counter(
        static_cast<double>(state.iterations() * state.range(0)), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_LennardJones13EnergyForce)
    ->ArgNames({"batch", "bits", "threads"})
    ->ArgsProduct({{1, 256, 4096}, {32, 64}, {1, 2}})
    ->UseRealTime();

// The same energy through LibTorch ops with autograd forces: the device-generic path (used on
// GPUs), and what a straight PyTorch port does.
void BM_LennardJones13EnergyForceAutograd(benchmark::State& state) {
    set_threads(state, 2);
    LennardJones lj;
    at::Generator gen = pita::make_generator(1);
    const auto dtype = state.range(1) == 32 ? at::kFloat : at::kDouble;
    const at::Tensor x0 = lj.initial_configurations(state.range(0), gen).to(dtype);
    for (auto _ : state) {
        at::Tensor x = x0.clone().requires_grad_(true);
        at::Tensor e = lj.energy(x);
        e.sum().backward();
        benchmark::DoNotOptimize(x.grad().data_ptr());
    }
    state.counters["configs/s"] = benchmark::Counter(
        static_cast<double>(state.iterations() * state.range(0)), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_LennardJones13EnergyForceAutograd)
    ->ArgNames({"batch", "bits", "threads"})
    ->ArgsProduct({{1, 256, 4096}, {32, 64}, {1, 2}})
    ->UseRealTime();

// One batched MALA step (propose, evaluate, accept) of LJ-13 chains at T = 1.
void BM_MalaStepLennardJones13(benchmark::State& state) {
    set_threads(state, 1);
    LennardJones lj;
    const int64_t chains = state.range(0);
    pita::Mala mala(lj, pita::MalaOptions{1e-3}, std::vector<double>(chains, 1.0),
                    std::vector<int64_t>(chains, 0));
    at::Generator gen = pita::make_generator(2);
    pita::ChainState s = mala.init(lj.initial_configurations(chains, gen));
    for (auto _ : state) {
        benchmark::DoNotOptimize(mala.step(s, gen, false).data_ptr());
    }
    state.counters["steps/s"] =
        benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
    state.counters["chain-steps/s"] = benchmark::Counter(
        static_cast<double>(state.iterations() * chains), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_MalaStepLennardJones13)
    ->ArgNames({"chains", "threads"})
    ->ArgsProduct({{1, 256, 4096}, {1, 2}})
    ->UseRealTime();

}  // namespace
