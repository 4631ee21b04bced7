// One training step (spec §4.2: batch draw, random rotations, mean-free noise, all losses for
// both networks with second-order autograd, Adam, global clipping, both EMAs), for the two
// backbones of the reference recipes:
//   egnn_lj13   EGNN (hidden 32, 3 layers) on 13 particles, LJ-13 loss weights
//   dit_aldp22  DiT (192/64/6 blocks/6 heads, dropout 0.1) on 22 atoms, peptide loss weights
//   dit_aldp_cpu        configs/aldp.yaml's DiT (64/32/3 blocks/4 heads, per-atom embedding) with
//                       both networks trained (distillation; no energy matching)
//   dit_aldp_cpu_score  the same, score network only (energy_score 0: the energy network is never
//                       evaluated), as configs/aldp.yaml trains since session 16
// The PyTorch port of the same step is bench/baselines/train_step_torch.py (same names).
// Inputs are random configurations: the step's cost does not depend on the data.
#include <string>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <benchmark/benchmark.h>

#include "bench_models.h"
#include "pita/core/rng.h"
#include "pita/train/trainer.h"

namespace {

struct Case {
    std::string name;
    int64_t n_particles;
    double sigma_min;
    double target_score;
    double energy_score = 1.0;
    double energy_matching = 1.0;
};

void train_step(benchmark::State& state, const Case& c, int64_t batch, int threads) {
    at::set_num_threads(threads);
    pita::ScoreModel score(pita::bench::case_backbone(c.name, c.n_particles));
    pita::EnergyModel energy(score.backbone().clone());
    pita::TrainerOptions o;
    o.batch_size = batch;
    o.losses.weights.target_score = c.target_score;
    o.losses.weights.energy_score = c.energy_score;
    o.losses.weights.energy_matching = c.energy_matching;
    const pita::NoiseSchedule schedule = pita::NoiseSchedule::elucidating(c.sigma_min);
    o.losses.h_min = schedule.h(0.0);
    o.losses.score_h_threshold = schedule.h(0.0);
    o.losses.tsm_h_threshold = schedule.h(0.2);
    pita::Trainer trainer(score, energy, schedule, o, /*particle_system=*/true);
    at::Generator gen = pita::make_generator(1);
    const at::Tensor x = at::randn({4096, c.n_particles, 3}, gen, at::kFloat);
    std::vector<pita::ReplayBuffer> buffers;
    buffers.emplace_back(1.0, 1.0, 4096, "bench");
    buffers[0].add(x, -0.5 * x.pow(2).sum({1, 2}), -x);
    trainer.step(buffers, gen);  // warm-up: first-touch allocations
    for (auto _ : state) {
        pita::LossTerms t = trainer.step(buffers, gen);
        benchmark::DoNotOptimize(t.total.data_ptr());
    }
    state.counters["steps/s"] =
        benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
    state.counters["samples/s"] = benchmark::Counter(
        static_cast<double>(state.iterations() * batch), benchmark::Counter::kIsRate);
}

// Registered by hand: the case is a string. Batch 1 exists for the CI smoke pass (filter
// "/batch:1/"); batches 128 and 512 are the measurement points. The DiT at 512 takes
// seconds per step on a CPU, so its iteration count is fixed.
const int kTrainBenchmarksRegistered = [] {
    const Case cases[] = {{"egnn_lj13", 13, 0.05, 0.0},
                          {"dit_aldp22", 22, 0.01, 0.01},
                          {"dit_aldp_cpu", 22, 0.01, 0.01, 1.0, 0.0},
                          {"dit_aldp_cpu_score", 22, 0.01, 0.01, 0.0, 0.0}};
    for (const Case& c : cases) {
        for (int64_t batch : {1, 128, 512}) {
            for (int threads : {1, 2}) {
                const std::string name = "BM_TrainStep/model:" + c.name +
                                         "/batch:" + std::to_string(batch) +
                                         "/threads:" + std::to_string(threads);
                auto* b = benchmark::RegisterBenchmark(
                    name.c_str(),
                    [c, batch, threads](benchmark::State& s) { train_step(s, c, batch, threads); });
                b->UseRealTime()->Unit(benchmark::kMillisecond);
                if (c.name == "dit_aldp22" && batch >= 128) b->Iterations(batch >= 512 ? 2 : 4);
            }
        }
    }
    return 0;
}();

}  // namespace
