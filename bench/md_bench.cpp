// Molecular dynamics throughput, ns/day: pita's batched LangevinMiddle on its force field (ALDP,
// amber14 + OBC1, 1 fs, 0.3/ps, 1200 K) for 1, 32 and 128 replicas, against OpenMM's own
// LangevinMiddleIntegrator on its CPU platform (one Context, one thread, one trajectory), timed
// in the same binary. "ns/day" is per replica, "ns/day_total" summed over the replicas.
// Figures and the command in docs/BENCHMARKS.md.
#ifdef PITA_WITH_OPENMM

#include <chrono>
#include <filesystem>
#include <string>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <benchmark/benchmark.h>

#include "pita/core/rng.h"
#include "pita/md/langevin.h"
#include "pita/molecule/molecule.h"
#include "pita/molecule/openmm_reference.h"

namespace {

// From the build, not __FILE__: ccache's base_dir makes __FILE__ relative to the build folder.
std::filesystem::path repo_dir() { return PITA_SOURCE_DIR; }

pita::MoleculeParams aldp_params() {
    pita::MoleculeParams p;
    p.system = repo_dir() / "data/molecules/aldp.system.xml";
    p.pdb = repo_dir() / "data/molecules/aldp.pdb";
    return p;
}

constexpr int64_t kStepsPerIteration = 200;
constexpr double kStepPs = 0.001;

void BM_LangevinMiddleAldp(benchmark::State& state) {
    at::set_num_threads(static_cast<int>(state.range(1)));
    const pita::Molecule mol(aldp_params());
    pita::LangevinOptions o;
    o.temperature = 1200;
    const pita::LangevinMiddle md(mol.physical(), mol.masses(), o);
    at::Generator gen = pita::make_generator(1);
    const int64_t replicas = state.range(0);
    pita::MdState s = md.start(mol.pdb_positions().unsqueeze(0).repeat({replicas, 1, 1}), gen);
    md.run(s, 200, gen);  // off the PDB structure's strain
    double seconds = 0;
    for (auto _ : state) {
        const auto t0 = std::chrono::steady_clock::now();
        md.run(s, kStepsPerIteration, gen);
        seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        benchmark::DoNotOptimize(s.x.data_ptr());
    }
    // Plain counters (not kIsRate, which would print "ns/day" as a per-second rate).
    const double steps = static_cast<double>(state.iterations() * kStepsPerIteration);
    state.counters["steps/s"] = steps / seconds;
    state.counters["ns/day"] = steps * kStepPs * 1e-3 / seconds * 86400.0;
    state.counters["ns/day_total"] = state.counters["ns/day"] * static_cast<double>(replicas);
}
BENCHMARK(BM_LangevinMiddleAldp)
    ->ArgNames({"batch", "threads"})
    ->Args({1, 1})
    ->Args({32, 1})
    ->Args({128, 1})
    ->Args({128, 2})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void BM_OpenMMLangevinMiddleAldp(benchmark::State& state) {
    const pita::Molecule mol(aldp_params());
    pita::OpenMMReference omm(aldp_params().system, pita::OpenMMPlatform::Cpu);
    const at::Tensor x0 = mol.pdb_positions();
    int seed = 1;
    double seconds = 0;
    int64_t steps = 0;
    for (auto _ : state) {
        // Context creation is outside the timed part: the run reports the dynamics' own time.
        const pita::OpenMMLangevinRun run =
            omm.run_langevin_middle(x0, 1200.0, 0.3, kStepPs, 0, 1, 1000, seed++);
        state.SetIterationTime(run.seconds);
        seconds += run.seconds;
        steps += run.steps;
    }
    state.counters["steps/s"] = static_cast<double>(steps) / seconds;
    state.counters["ns/day"] = static_cast<double>(steps) * kStepPs * 1e-3 / seconds * 86400.0;
    state.counters["ns/day_total"] = state.counters["ns/day"];
}
BENCHMARK(BM_OpenMMLangevinMiddleAldp)
    ->ArgNames({"batch"})
    ->Arg(1)
    ->Unit(benchmark::kMillisecond)
    ->UseManualTime();

}  // namespace

#endif  // PITA_WITH_OPENMM
