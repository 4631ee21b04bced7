// ALDP (amber14 + OBC1, the PITA target) energy + forces: pita's batched LibTorch ForceField
// against OpenMM's CPU platform evaluating one configuration at a time (one Context, one
// thread: the setting TOOLCHAIN.md measured as OpenMM's fastest for this system).
// Measured 2026-11-24 on the 2-core dev machine under load (load average ~3, other jobs
// running): batch 1024, one thread, fused CPU path: 43.6k configs/s (float64) and 47.4k/s
// (float32) against OpenMM CPU 3.8k/s (real time), about 11x; batch 1: 45k/s vs 3.7k/s. With
// 2 threads on the loaded machine OpenMP waits made it slower (23k/s).
// Re-measured 05:10 UTC: 1 thread 47.7k/s, 2 threads 23.9k/s, 2 threads with
// OMP_WAIT_POLICY=PASSIVE 45k/s; but two single-thread processes side by side ran at 24.5k/s
// each (CPU time half of wall), i.e. the machine then gave this job about one core in all, so
// thread scaling cannot be measured on it; a dynamic row split and plain std::threads did not
// help either (20-24k/s) and were not kept. OpenMMEnergy pool (engine: openmm), batch 1024:
// 1 worker 1.1-1.3k/s, 2 workers 4.1-4.8k/s; OpenMM CPU one Context 1.0k/s at that time (it was
// 3.8k/s in the first measurement: OpenMM's numbers swing with the machine's state).
#ifdef PITA_WITH_OPENMM

#include <filesystem>
#include <string>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <benchmark/benchmark.h>

#include "pita/core/rng.h"
#include "pita/molecule/force_field.h"
#include "pita/molecule/openmm_energy.h"
#include "pita/molecule/openmm_reference.h"
#include "pita/molecule/pdb.h"

namespace {

/// The repository root, from this file's path (bench/ is one level down).
std::filesystem::path source_dir() {
    return std::filesystem::path(__FILE__).parent_path().parent_path();
}

const std::string kAldp = (source_dir() / "data/molecules/aldp.system.xml").string();

/// The ALDP PDB structure plus 0.01 nm noise, fixed seed: [batch, 22, 3], nm, float64.
at::Tensor aldp_batch(int64_t batch) {
    const at::Tensor pdb = pita::read_pdb_positions(source_dir() / "data/molecules/aldp.pdb");
    at::Generator gen = pita::make_generator(4);
    return pdb.unsqueeze(0) + 0.01 * at::randn({batch, pdb.size(0), 3}, gen, at::kDouble);
}

void BM_ForceFieldAldpEnergyForce(benchmark::State& state) {
    at::set_num_threads(static_cast<int>(state.range(2)));
    const pita::ForceField ff{std::filesystem::path(kAldp)};
    const auto dtype = state.range(1) == 32 ? at::kFloat : at::kDouble;
    const at::Tensor x = aldp_batch(state.range(0)).to(dtype);
    for (auto _ : state) {
        pita::EnergyAndForce ef = ff.energy_and_force(x);
        benchmark::DoNotOptimize(ef.force.data_ptr());
    }
    state.counters["configs/s"] = benchmark::Counter(
        static_cast<double>(state.iterations() * state.range(0)), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ForceFieldAldpEnergyForce)
    ->ArgNames({"batch", "bits", "threads"})
    ->ArgsProduct({{1, 1024}, {32, 64}, {1, 2}})
    ->UseRealTime();

void BM_OpenMMCpuAldpEnergyForce(benchmark::State& state) {
    pita::OpenMMReference omm{std::filesystem::path(kAldp), pita::OpenMMPlatform::Cpu};
    const at::Tensor x = aldp_batch(state.range(0));
    for (auto _ : state) {
        pita::EnergyAndForce ef = omm.evaluate(x);
        benchmark::DoNotOptimize(ef.force.data_ptr());
    }
    state.counters["configs/s"] = benchmark::Counter(
        static_cast<double>(state.iterations() * state.range(0)), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_OpenMMCpuAldpEnergyForce)->ArgNames({"batch"})->Arg(1)->Arg(1024)->UseRealTime();

/// pita::OpenMMEnergy (engine: openmm): a pool of CPU-platform Contexts, one thread each.
void BM_OpenMMEnergyPoolAldpEnergyForce(benchmark::State& state) {
    const pita::OpenMMEnergy omm{std::filesystem::path(kAldp), pita::OpenMMPlatform::Cpu,
                                 static_cast<int>(state.range(1))};
    const at::Tensor x = aldp_batch(state.range(0));
    for (auto _ : state) {
        pita::EnergyAndForce ef = omm.energy_and_force(x);
        benchmark::DoNotOptimize(ef.force.data_ptr());
    }
    state.counters["configs/s"] = benchmark::Counter(
        static_cast<double>(state.iterations() * state.range(0)), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_OpenMMEnergyPoolAldpEnergyForce)
    ->ArgNames({"batch", "workers"})
    ->ArgsProduct({{1024}, {1, 2}})
    ->UseRealTime();

}  // namespace

#endif  // PITA_WITH_OPENMM
