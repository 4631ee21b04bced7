// Peptides (amber14 + OBC1, the PITA targets ALDP, AAA, AAAA) energy + forces: pita's batched
// ForceField (fused float64 CPU kernel) against OpenMM's CPU platform evaluating one
// configuration at a time (one Context, one thread: the setting TOOLCHAIN.md measured as
// OpenMM's fastest for these systems), timed in the same binary so that the ratio holds under
// load. Results and the command: docs/BENCHMARKS.md, "Peptides". 2026-11-24 on the loaded
// 2-vCPU dev machine, batch 1024, float64, one thread: ALDP ~133k configs/s (46.7k before the
// fused pair kernel), AAA ~67k, AAAA ~44k, against OpenMM 4.3k, 2.9k and 2.0k: 31x, 23x, 22x.
// The 2-thread rows split the batch over two threads (the main thread's CPU time halves), but
// the machine gave the job about one core, so their wall time did not improve there.
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

/// The repository root, from the build (not __FILE__: ccache's base_dir makes __FILE__ relative
/// to the build folder).
std::filesystem::path source_dir() { return PITA_SOURCE_DIR; }

std::string system_xml(const std::string& molecule) {
    return (source_dir() / "data/molecules" / (molecule + ".system.xml")).string();
}

const std::string kAldp = system_xml("aldp");

/// The molecule's PDB structure plus 0.01 nm noise, fixed seed: [batch, n_atoms, 3], nm, float64.
at::Tensor noisy_batch(const std::string& molecule, int64_t batch) {
    const at::Tensor pdb =
        pita::read_pdb_positions(source_dir() / "data/molecules" / (molecule + ".pdb"));
    at::Generator gen = pita::make_generator(4);
    return pdb.unsqueeze(0) + 0.01 * at::randn({batch, pdb.size(0), 3}, gen, at::kDouble);
}

at::Tensor aldp_batch(int64_t batch) { return noisy_batch("aldp", batch); }

/// Args: batch, bits (32/64), threads.
void force_field_energy_force(benchmark::State& state, const std::string& molecule) {
    at::set_num_threads(static_cast<int>(state.range(2)));
    const pita::ForceField ff{std::filesystem::path(system_xml(molecule))};
    const auto dtype = state.range(1) == 32 ? at::kFloat : at::kDouble;
    const at::Tensor x = noisy_batch(molecule, state.range(0)).to(dtype);
    for (auto _ : state) {
        pita::EnergyAndForce ef = ff.energy_and_force(x);
        benchmark::DoNotOptimize(ef.force.data_ptr());
    }
    state.counters["configs/s"] = benchmark::Counter(
        static_cast<double>(state.iterations() * state.range(0)), benchmark::Counter::kIsRate);
}

/// Args: batch.
void openmm_cpu_energy_force(benchmark::State& state, const std::string& molecule) {
    pita::OpenMMReference omm{std::filesystem::path(system_xml(molecule)),
                              pita::OpenMMPlatform::Cpu};
    const at::Tensor x = noisy_batch(molecule, state.range(0));
    for (auto _ : state) {
        pita::EnergyAndForce ef = omm.evaluate(x);
        benchmark::DoNotOptimize(ef.force.data_ptr());
    }
    state.counters["configs/s"] = benchmark::Counter(
        static_cast<double>(state.iterations() * state.range(0)), benchmark::Counter::kIsRate);
}

void BM_ForceFieldAldpEnergyForce(benchmark::State& state) {
    force_field_energy_force(state, "aldp");
}
BENCHMARK(BM_ForceFieldAldpEnergyForce)
    ->ArgNames({"batch", "bits", "threads"})
    ->ArgsProduct({{1, 1024}, {32, 64}, {1, 2}})
    ->UseRealTime();

void BM_OpenMMCpuAldpEnergyForce(benchmark::State& state) {
    openmm_cpu_energy_force(state, "aldp");
}
BENCHMARK(BM_OpenMMCpuAldpEnergyForce)->ArgNames({"batch"})->Arg(1)->Arg(1024)->UseRealTime();

// AAA (33 atoms) and AAAA (43 atoms): float64 only.
void BM_ForceFieldAaaEnergyForce(benchmark::State& state) {
    force_field_energy_force(state, "aaa");
}
BENCHMARK(BM_ForceFieldAaaEnergyForce)
    ->ArgNames({"batch", "bits", "threads"})
    ->ArgsProduct({{1, 1024}, {64}, {1, 2}})
    ->UseRealTime();

void BM_OpenMMCpuAaaEnergyForce(benchmark::State& state) { openmm_cpu_energy_force(state, "aaa"); }
BENCHMARK(BM_OpenMMCpuAaaEnergyForce)->ArgNames({"batch"})->Arg(1)->Arg(1024)->UseRealTime();

void BM_ForceFieldAaaaEnergyForce(benchmark::State& state) {
    force_field_energy_force(state, "aaaa");
}
BENCHMARK(BM_ForceFieldAaaaEnergyForce)
    ->ArgNames({"batch", "bits", "threads"})
    ->ArgsProduct({{1, 1024}, {64}, {1, 2}})
    ->UseRealTime();

void BM_OpenMMCpuAaaaEnergyForce(benchmark::State& state) {
    openmm_cpu_energy_force(state, "aaaa");
}
BENCHMARK(BM_OpenMMCpuAaaaEnergyForce)->ArgNames({"batch"})->Arg(1)->Arg(1024)->UseRealTime();

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
