// The row-parallel helper (pita/core/parallel_rows.h) and what it promises its callers: every
// row exactly once, exceptions reach the caller, and loops built on it (LJ energies and forces,
// a fused MALA step, the equivariant-W2 cost matrix) give bitwise the same results on 1 and 2
// threads.
#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <stdexcept>
#include <vector>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include "pita/core/parallel_rows.h"
#include "pita/core/rng.h"
#include "pita/energy/lennard_jones.h"
#include "pita/mcmc/mala.h"
#include "pita/metrics/sample_metrics.h"

namespace pita {
namespace {

/// Sets ATen's intra-op thread count for one scope and restores it afterwards.
class ThreadCount {
  public:
    explicit ThreadCount(int threads) : saved_(at::get_num_threads()) {
        at::set_num_threads(threads);
    }
    ~ThreadCount() { at::set_num_threads(saved_); }
    ThreadCount(const ThreadCount&) = delete;
    ThreadCount& operator=(const ThreadCount&) = delete;

  private:
    int saved_;
};

/// Counts how often each row of [0, n) is visited with `threads` threads.
std::vector<int> visits(int threads, int64_t n, int64_t min_chunk) {
    const ThreadCount scope(threads);
    std::vector<std::atomic<int>> count(static_cast<std::size_t>(n));
    parallel_rows(n, min_chunk, [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i) ++count[static_cast<std::size_t>(i)];
    });
    std::vector<int> out;
    for (const auto& c : count) out.push_back(c.load());
    return out;
}

TEST(ParallelRows, VisitsEveryRowExactlyOnce) {
    for (int threads : {1, 2, 4}) {
        for (int64_t n : {1, 7, 64, 1000, 4097}) {
            for (int64_t min_chunk : {1, 3, 16}) {
                EXPECT_EQ(visits(threads, n, min_chunk),
                          std::vector<int>(static_cast<std::size_t>(n), 1))
                    << "threads " << threads << ", n " << n << ", min_chunk " << min_chunk;
            }
        }
    }
}

TEST(ParallelRows, FewerRowsThanAChunkRunAsOneCallOnTheCaller) {
    const ThreadCount scope(2);
    std::vector<std::pair<int64_t, int64_t>> calls;  // only the caller runs: no lock needed
    parallel_rows(5, 64, [&](int64_t begin, int64_t end) { calls.emplace_back(begin, end); });
    ASSERT_EQ(calls.size(), 1u);
    EXPECT_EQ(calls[0], std::make_pair(int64_t{0}, int64_t{5}));
}

TEST(ParallelRows, NoRowsMeansNoCall) {
    for (int threads : {1, 2}) {
        const ThreadCount scope(threads);
        bool called = false;
        parallel_rows(0, 1, [&](int64_t, int64_t) { called = true; });
        EXPECT_FALSE(called) << "threads " << threads;
    }
}

TEST(ParallelRows, AnExceptionInAnyChunkReachesTheCaller) {
    for (int threads : {1, 2}) {
        const ThreadCount scope(threads);
        for (int64_t bad_row : {0, 500, 999}) {
            EXPECT_THROW(parallel_rows(1000, 1,
                                       [&](int64_t begin, int64_t end) {
                                           if (begin <= bad_row && bad_row < end)
                                               throw std::runtime_error("row failed");
                                       }),
                         std::runtime_error)
                << "threads " << threads << ", bad row " << bad_row;
        }
        // The helper is usable again afterwards.
        EXPECT_EQ(visits(threads, 100, 1), std::vector<int>(100, 1));
    }
}

/// True when a and b have the same dtype, shape and bytes.
bool bitwise_equal(const at::Tensor& a, const at::Tensor& b) {
    if (a.scalar_type() != b.scalar_type() || a.sizes() != b.sizes()) return false;
    const at::Tensor ca = a.contiguous();
    const at::Tensor cb = b.contiguous();
    return std::memcmp(ca.data_ptr(), cb.data_ptr(), ca.numel() * ca.element_size()) == 0;
}

TEST(ParallelRowsDeterminism, LennardJonesEnergyAndForceDoNotDependOnTheThreadCount) {
    const LennardJones lj;
    at::Generator gen = make_generator(3);
    const at::Tensor x64 = lj.initial_configurations(1000, gen);
    for (const at::Tensor& x : {x64, x64.to(at::kFloat)}) {
        EnergyAndForce one, two;
        {
            const ThreadCount scope(1);
            one = lj.energy_and_force(x);
        }
        {
            const ThreadCount scope(2);
            two = lj.energy_and_force(x);
        }
        EXPECT_TRUE(bitwise_equal(one.energy, two.energy)) << x.scalar_type();
        EXPECT_TRUE(bitwise_equal(one.force, two.force)) << x.scalar_type();
    }
}

TEST(ParallelRowsDeterminism, AFusedMalaStepDoesNotDependOnTheThreadCount) {
    const LennardJones lj;
    const int64_t chains = 1000;
    std::vector<double> temperatures;
    for (int64_t c = 0; c < chains; ++c) temperatures.push_back(1.0 + 0.01 * c);
    at::Generator init_gen = make_generator(4);
    const at::Tensor x0 = lj.initial_configurations(chains, init_gen);
    auto run = [&](int threads) {
        const ThreadCount scope(threads);
        Mala mala(lj, MalaOptions{1e-3}, temperatures, std::vector<int64_t>(chains, 0));
        at::Generator gen = make_generator(5);
        ChainState s = mala.init(x0);
        std::vector<at::Tensor> accepts;
        for (int step = 0; step < 5; ++step) accepts.push_back(mala.step(s, gen, true));
        return std::make_pair(s, at::stack(accepts));
    };
    const auto [one, accept_one] = run(1);
    const auto [two, accept_two] = run(2);
    EXPECT_GT(accept_one.sum().item<int64_t>(), 0);  // the step moved chains
    EXPECT_TRUE(bitwise_equal(accept_one, accept_two));
    EXPECT_TRUE(bitwise_equal(one.x, two.x));
    EXPECT_TRUE(bitwise_equal(one.energy, two.energy));
    EXPECT_TRUE(bitwise_equal(one.force, two.force));
}

TEST(ParallelRowsDeterminism, EquivariantW2DoesNotDependOnTheThreadCount) {
    const LennardJones lj;
    at::Generator gen = make_generator(6);
    const at::Tensor a = lj.initial_configurations(40, gen);
    const at::Tensor b = lj.initial_configurations(30, gen);
    double one = 0, two = 0;
    {
        const ThreadCount scope(1);
        one = equivariant_w2(a, b);
    }
    {
        const ThreadCount scope(2);
        two = equivariant_w2(a, b);
    }
    EXPECT_GT(one, 0.0);
    EXPECT_EQ(std::memcmp(&one, &two, sizeof(double)), 0) << one << " vs " << two;
}

}  // namespace
}  // namespace pita
