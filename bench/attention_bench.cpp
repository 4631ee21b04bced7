// The DiT's rotary self-attention, forward and first-order backward (a training step's and a
// Hutchinson probe's use), in pita's CPU kernel and in the composite of ATen operations it
// replaced (bmm, softmax, RoPE; what the PyTorch port runs), same binary, same inputs:
//   aldp_cpu  configs/aldp.yaml's DiT: 22 tokens, 4 heads of 16
//   aldp22    the reference DiT: 22 tokens, 6 heads of 32
// Figures and the command in docs/BENCHMARKS.md.
#include <cmath>
#include <string>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <benchmark/benchmark.h>
#include <torch/csrc/autograd/autograd.h>

#include "pita/core/rng.h"
#include "pita/model/rotary.h"
#include "pita/model/rotary_attention.h"

namespace {

struct Shape {
    std::string name;
    int64_t n, heads, hd;
};

void attention(benchmark::State& state, const Shape& s, bool kernel, int64_t batch, int threads) {
    at::set_num_threads(threads);
    at::Generator gen = pita::make_generator(1);
    const at::Tensor qkv =
        at::randn({batch, s.n, 3, s.heads, s.hd}, gen, at::kFloat).requires_grad_(true);
    const at::Tensor grad_out = at::randn({batch, s.n, s.heads, s.hd}, gen, at::kFloat);
    const pita::detail::RotaryTables rope =
        pita::detail::rotary_tables(s.n, s.hd, at::kFloat, c10::Device(c10::kCPU));
    const double scale = 1.0 / std::sqrt(static_cast<double>(s.hd));
    for (auto _ : state) {
        const at::Tensor out =
            kernel ? pita::detail::rotary_self_attention(qkv, rope.cos, rope.sin_signed, scale)
                   : pita::detail::rotary_self_attention_composite(qkv, rope.cos, rope.sin_signed,
                                                                   scale);
        const at::Tensor g = torch::autograd::grad({out}, {qkv}, {grad_out})[0];
        benchmark::DoNotOptimize(g.data_ptr());
    }
    state.counters["rows/s"] = benchmark::Counter(static_cast<double>(state.iterations() * batch),
                                                  benchmark::Counter::kIsRate);
}

// Batch 1 is the CI smoke pass; 128 and 4 096 (a 512-sample anneal step with 8 Hutchinson
// probes) are the measurement points.
const int kAttentionBenchmarksRegistered = [] {
    for (const Shape& s : {Shape{"aldp_cpu", 22, 4, 16}, Shape{"aldp22", 22, 6, 32}})
        for (const bool kernel : {true, false})
            for (const int64_t batch : {1, 128, 4096})
                for (const int threads : {1, 2}) {
                    const std::string name = "BM_RotaryAttention/shape:" + s.name +
                                             (kernel ? "/impl:kernel" : "/impl:composite") +
                                             "/batch:" + std::to_string(batch) +
                                             "/threads:" + std::to_string(threads);
                    benchmark::RegisterBenchmark(name.c_str(),
                                                 [s, kernel, batch, threads](benchmark::State& st) {
                                                     attention(st, s, kernel, batch, threads);
                                                 })
                        ->UseRealTime()
                        ->Unit(benchmark::kMillisecond);
                }
    return 0;
}();

}  // namespace
