// ReplicaExchange: the swap acceptance is the Metropolis ratio of the joint distribution, swaps
// move whole configurations (velocities rescaled to the new bath), the parity alternates, and
// the state survives save/load. The sampling test is in tests/statistical/md_statistical_test.cpp.
#include "pita/md/replica_exchange.h"

#include <cmath>

#include <ATen/ATen.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "pita/core/error.h"
#include "pita/core/rng.h"
#include "pita/core/units.h"
#include "pita/md/langevin.h"

namespace pita {
namespace {

TEST(ReplicaExchange, AcceptsWithTheMetropolisRatioAndMovesWholeConfigurations) {
    const int64_t chains = 20000;
    ReplicaExchange rex({300.0, 400.0}, chains);
    // Cold copies at U = 0, hot copies at U = u: the swap's log ratio is (β_c − β_h)(0 − u).
    const double d_beta = 1.0 / (kMolarGasConstant * 300.0) - 1.0 / (kMolarGasConstant * 400.0);
    const double u = 1.0 / d_beta;  // acceptance exp(−1)
    MdState s;
    s.temperature = rex.replica_temperatures();
    s.x = at::arange(2 * chains, at::kDouble).view({-1, 1, 1}).repeat({1, 1, 3});
    s.force = -s.x;
    s.v = at::ones({2 * chains, 1, 3}, at::kDouble);
    s.potential = at::cat({at::zeros({chains}, at::kDouble), at::full({chains}, u, at::kDouble)});
    at::Generator gen = make_generator(3);
    rex.exchange(s, gen);
    ASSERT_EQ(rex.attempts(), std::vector<int64_t>{chains});
    const double p = static_cast<double>(rex.accepts()[0]) / chains;
    const double se = std::sqrt(std::exp(-1.0) * (1 - std::exp(-1.0)) / chains);  // binomial
    EXPECT_NEAR(p, std::exp(-1.0), 5 * se);
    // Every chain either kept its copies or swapped both; the velocity follows its configuration,
    // rescaled by sqrt(T_new/T_old).
    for (int64_t c = 0; c < chains; c += 997) {
        const double cold_label = s.x[c][0][0].item<double>();
        const double hot_label = s.x[chains + c][0][0].item<double>();
        const bool swapped = cold_label != static_cast<double>(c);
        EXPECT_EQ(cold_label, swapped ? chains + c : c);
        EXPECT_EQ(hot_label, swapped ? c : chains + c);
        EXPECT_EQ(s.force[c][0][0].item<double>(), -cold_label);
        EXPECT_EQ(s.potential[c].item<double>(), swapped ? u : 0.0);
        EXPECT_NEAR(s.v[c][0][0].item<double>(), swapped ? std::sqrt(300.0 / 400.0) : 1.0, 1e-15);
        EXPECT_NEAR(s.v[chains + c][0][1].item<double>(), swapped ? std::sqrt(400.0 / 300.0) : 1.0,
                    1e-15);
        EXPECT_EQ(rex.walkers()[static_cast<size_t>(c)], swapped ? chains + c : c);
    }
    // The next call tries the odd pairs: none exist with two baths.
    rex.exchange(s, gen);
    EXPECT_EQ(rex.attempts(), std::vector<int64_t>{chains});
}

TEST(ReplicaExchange, AlternatesEvenAndOddPairsAndCountsRoundTrips) {
    ReplicaExchange rex({1.0, 2.0, 3.0}, 1);
    MdState s;
    s.temperature = rex.replica_temperatures();
    s.x = at::zeros({3, 1, 3}, at::kDouble);
    s.force = at::zeros_like(s.x);
    s.v = at::zeros_like(s.x);
    s.potential = at::zeros({3}, at::kDouble);  // equal energies: every swap is accepted
    at::Generator gen = make_generator(1);
    // Walker 0 starts cold: even pair (0,1), odd (1,2) take it to the hot end; the next even
    // pair leaves it; odd (1,2) then brings walker 0 back down towards 1, even (0,1) to cold.
    for (int i = 0; i < 2; ++i) rex.exchange(s, gen);
    EXPECT_EQ(rex.walkers(), (std::vector<int64_t>{1, 2, 0}));
    EXPECT_EQ(rex.attempts(), (std::vector<int64_t>{1, 1}));
    for (int i = 0; i < 4; ++i) rex.exchange(s, gen);
    // Walkers move one bath per call in opposite directions: after 6 calls each has bounced.
    EXPECT_EQ(rex.accepts(), (std::vector<int64_t>{3, 3}));
    EXPECT_GT(rex.round_trips(), 0.0);
    const nlohmann::json saved = rex.save();
    ReplicaExchange copy({1.0, 2.0, 3.0}, 1);
    copy.load(saved);
    EXPECT_EQ(copy.walkers(), rex.walkers());
    EXPECT_EQ(copy.round_trips(), rex.round_trips());
    ReplicaExchange other({1.0, 2.0}, 1);
    EXPECT_THROW(other.load(saved), IoError);
}

TEST(ReplicaExchange, RefusesBadLadders) {
    EXPECT_THROW(ReplicaExchange({}, 1), ConfigError);
    EXPECT_THAT(
        [] {
            ReplicaExchange({300.0, 300.0}, 1);
        },
        ::testing::ThrowsMessage<ConfigError>(::testing::HasSubstr("strictly increasing")));
    EXPECT_THROW(ReplicaExchange({-1.0}, 1), ConfigError);
    EXPECT_THROW(ReplicaExchange({300.0}, 0), ConfigError);
}

}  // namespace
}  // namespace pita
