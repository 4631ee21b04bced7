// One step of the weighted reverse SDE (spec §5.2–5.3) with learned models: score, ∇U, U, ∂U/∂t
// and the divergence of the score (exact: D stacked copies; Hutchinson: one Rademacher probe),
// then the Euler–Maruyama update and the log-weight increment. The divergence dominates.
//   egnn_lj13   EGNN 32×3 on 13 particles (D = 39), batch 128
//   dit_aldp22  default DiT on 22 atoms (D = 66), batch 32
//   dit_aldp_cpu  configs/aldp.yaml's DiT and rung: 512 samples, Hutchinson with 8 probes,
//   score_only
//                 weights (pita only: the composite attention it replaced is the baseline, in
//                 bench/attention_bench.cpp)
// weights:score_only (anneal.tempering_weight: score_only, the peptide configs' form): the score
// and its divergence only, drift (g²/2)(1 + γ)s and increment (1 − γ)(g²/2)∇·s; the energy network
// is not evaluated. Without the tag: the energy form (the reference's).
// Fresh (untrained) networks with perturbed weights: the cost does not depend on training.
// PyTorch port: bench/baselines/anneal_step_torch.py (same names).
#include <string>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <benchmark/benchmark.h>

#include "bench_models.h"
#include "pita/anneal/annealing_model.h"
#include "pita/core/rng.h"

namespace {

std::unique_ptr<pita::Backbone> make_backbone(const std::string& name, int64_t n) {
    std::unique_ptr<pita::Backbone> b = pita::bench::case_backbone(name, n);
    at::NoGradGuard no_grad;  // the DiT starts at exactly zero output; make it a real network
    for (auto& [k, p] : b->named_parameters()) p.add_(at::randn_like(p) * 0.02);
    b->train(false);
    return b;
}

void anneal_step(benchmark::State& state, const std::string& name, int64_t n, bool exact,
                 bool score_only, int64_t batch, int64_t probes) {
    at::set_num_threads(1);
    pita::ScoreModel score(make_backbone(name, n));
    pita::EnergyModel energy(score.backbone().clone());
    const pita::NoiseSchedule schedule =
        pita::NoiseSchedule::elucidating(name == "egnn_lj13" ? 0.05 : 0.01);
    pita::LearnedModelOptions lo;
    lo.divergence =
        exact ? pita::DivergenceEstimator::Exact : pita::DivergenceEstimator::Hutchinson;
    lo.energy_network = !score_only;
    lo.hutchinson_probes = probes;
    pita::LearnedAnnealingModel model(score, energy, schedule, lo);
    at::Generator gen = pita::make_generator(1);
    at::Tensor x = at::randn({batch, n, 3}, gen, at::kFloat) * 1.5;
    const double t = 0.5;
    const double g2 = schedule.g2(t);
    const double dt = 1e-3;
    const double gamma = 2.0;
    for (auto _ : state) {
        const pita::DriftInputs d = model.evaluate(x, t, /*with_weights=*/true, gen);
        at::Tensor drift, inc;
        if (score_only) {
            drift = 0.5 * g2 * (1.0 + gamma) * d.score;
            inc = (1.0 - gamma) * 0.5 * g2 * d.div_score * dt;
        } else {
            drift = 0.5 * g2 * (d.score - gamma * d.grad_u);
            inc = (gamma * 0.5 * g2 * (-d.grad_u * d.score).flatten(1).sum(1) +
                   0.5 * g2 * d.div_score + gamma * d.du_dt) *
                  dt;
        }
        const at::Tensor moved = x + drift * dt + std::sqrt(g2 * dt) * at::randn_like(x);
        benchmark::DoNotOptimize(moved.data_ptr());
        benchmark::DoNotOptimize(inc.data_ptr());
    }
    state.counters["particle-steps/s"] = benchmark::Counter(
        static_cast<double>(state.iterations() * batch), benchmark::Counter::kIsRate);
}

// Batch 1 exists for the CI smoke pass (filter "/batch:1/").
const int kAnnealBenchmarksRegistered = [] {
    struct Case {
        std::string name;
        int64_t n, batch;
    };
    for (const Case& c : {Case{"egnn_lj13", 13, 128}, Case{"dit_aldp22", 22, 32}}) {
        for (bool exact : {true, false}) {
            for (bool score_only : {false, true}) {
                for (int64_t batch : {int64_t{1}, c.batch}) {
                    const std::string name = "BM_AnnealStep/model:" + c.name +
                                             "/divergence:" + (exact ? "exact" : "hutchinson") +
                                             (score_only ? "/weights:score_only" : "") +
                                             "/batch:" + std::to_string(batch) + "/threads:1";
                    benchmark::RegisterBenchmark(
                        name.c_str(),
                        [c, exact, score_only, batch](benchmark::State& s) {
                            anneal_step(s, c.name, c.n, exact, score_only, batch, 1);
                        })
                        ->UseRealTime()
                        ->Unit(benchmark::kMillisecond);
                }
            }
        }
    }
    for (int64_t batch : {int64_t{1}, int64_t{512}})
        benchmark::RegisterBenchmark(
            ("BM_AnnealStep/model:dit_aldp_cpu/divergence:hutchinson/probes:8/weights:score_only/"
             "batch:" +
             std::to_string(batch) + "/threads:1")
                .c_str(),
            [batch](benchmark::State& s) {
                anneal_step(s, "dit_aldp_cpu", 22, false, true, batch, 8);
            })
            ->UseRealTime()
            ->Unit(benchmark::kMillisecond);
    return 0;
}();

}  // namespace
