#include "pita/core/memory_estimate.h"

#include <cmath>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "pita/core/error.h"

namespace pita {
namespace {

using ::testing::HasSubstr;

TEST(MemoryEstimate, SumsItemsAndRefusesNamingTheLargestKeys) {
    MemoryEstimate m;
    m.add("anneal.n_samples", 3.0e9, "the SMC population");
    m.add("data.n_chains", 1.0e6, "the chains");
    m.add("train.batch_size", 2.0e9, "activations");
    EXPECT_DOUBLE_EQ(m.total_bytes(), 3.0e9 + 1.0e6 + 2.0e9);
    EXPECT_NO_THROW(m.require_fits(6.0e9, "run"));
    try {
        m.require_fits(4.0e9, "run");
        FAIL();
    } catch (const ConfigError& e) {
        EXPECT_THAT(e.what(), HasSubstr("[run] the config needs about 4.7 GiB"));
        EXPECT_THAT(e.what(), HasSubstr("Lower anneal.n_samples or train.batch_size."));
        EXPECT_THAT(e.what(), ::testing::Not(HasSubstr("data.n_chains")));
    }
    EXPECT_THAT(m.summary(), HasSubstr("anneal.n_samples 2.8 GiB: the SMC population"));
}

TEST(MemoryEstimate, FormatsBytesInBinaryUnits) {
    EXPECT_EQ(format_bytes(512), "512 B");
    EXPECT_EQ(format_bytes(1536), "1.5 KiB");
    EXPECT_EQ(format_bytes(3.0 * 1024 * 1024), "3.0 MiB");
    EXPECT_EQ(format_bytes(31.25 * 1024 * 1024 * 1024), "31.2 GiB");
}

TEST(MemoryEstimate, SizesScaleWithRowsAndParticles) {
    // LJ-13: 8 n·d arrays and 4 n² arrays per row, float64.
    EXPECT_DOUBLE_EQ(sampler_state_bytes(1, 13, 3), (8.0 * 39 + 4.0 * 169) * 8);
    EXPECT_DOUBLE_EQ(sampler_state_bytes(1000, 13, 3), 1000 * sampler_state_bytes(1, 13, 3));
    EXPECT_DOUBLE_EQ(stored_rows_bytes(10, 22, 3), 10 * 66 * 8.0);
    EXPECT_DOUBLE_EQ(activation_bytes(4, 100, 4), 2 * 4 * 100 * 4.0);
}

TEST(MemoryEstimate, AvailableMemoryIsReadFromTheSystem) {
    const double available = available_memory_bytes();
    EXPECT_GT(available, 64.0 * 1024 * 1024);  // any machine that runs the tests
    EXPECT_TRUE(std::isfinite(available));     // Linux: /proc/meminfo
}

}  // namespace
}  // namespace pita
