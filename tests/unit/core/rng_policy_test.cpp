// The one device policy of the samplers (pita/core/rng.h, issue 13 item 3): noise is drawn on
// the state's device from a generator made for it. CI has no GPU, so the mismatch is provoked
// with "meta" tensors (shape-only tensors on a device of their own): every sampler must refuse a
// generator of another device before its first draw, naming both devices.
#include <set>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include "pita/anneal/end_of_trajectory.h"
#include "pita/core/error.h"
#include "pita/core/rng.h"
#include "pita/energy/lennard_jones.h"
#include "pita/mcmc/parallel_tempering.h"
#include "pita/md/langevin.h"

namespace pita {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

auto names_both_devices(const char* who) {
    return ::testing::ThrowsMessage<ConfigError>(
        AllOf(HasSubstr(std::string("[") + who + "] the random generator is on cpu"),
              HasSubstr("the state on meta"), HasSubstr("make_generator(seed, device)")));
}

TEST(RngPolicy, NoTwoStreamsOfARunShareASeed) {
    // Every stream and every rung of a 100-rung ladder: a model check must not replay the
    // annealing noise of a rung (or the training's), or it would not be independent of it.
    for (uint64_t seed : {uint64_t{0}, uint64_t{7}, uint64_t{2027}}) {
        std::set<uint64_t> seen;
        for (RandomStream s :
             {RandomStream::Training, RandomStream::DataSampler, RandomStream::DataInitialisation})
            EXPECT_TRUE(seen.insert(stream_seed(seed, s)).second);
        for (int64_t i = 0; i < 100; ++i) {
            EXPECT_TRUE(seen.insert(stream_seed(seed, RandomStream::Annealing, i)).second) << i;
            EXPECT_TRUE(seen.insert(stream_seed(seed, RandomStream::ModelCheck, i)).second) << i;
        }
    }
}

TEST(RngPolicy, AGeneratorMustBelongToTheStatesDevice) {
    const at::Generator gen = make_generator(1);
    EXPECT_NO_THROW(require_generator_on(gen, c10::Device(c10::kCPU), "mala"));
    EXPECT_THAT([&] { require_generator_on(gen, c10::Device(c10::kMeta), "mala"); },
                names_both_devices("mala"));
}

TEST(RngPolicy, EverySamplerRefusesAGeneratorOfAnotherDevice) {
    const LennardJones lj;
    at::Generator gen = make_generator(2);
    const at::Tensor x_meta =
        at::empty({4, 13, 3}, at::TensorOptions(at::kDouble).device(at::kMeta));

    ParallelTemperingOptions pt;
    pt.chains_per_temperature = 4;
    ParallelTempering sampler(lj, MalaOptions{}, pt);
    EXPECT_THAT([&] { sampler.run(x_meta, gen); }, names_both_devices("parallel_tempering"));

    const LangevinMiddle md(lj, at::ones({13}, at::kDouble), LangevinOptions{});
    EXPECT_THAT([&] { md.start(x_meta, gen); }, names_both_devices("langevin"));

    EXPECT_THAT([&] { relax_on_target(lj, 1.0, x_meta, 1, 1e-4, gen); },
                names_both_devices("relaxation"));
}

}  // namespace
}  // namespace pita
