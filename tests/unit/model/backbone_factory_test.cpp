// Every backbone the config accepts builds what it names (issue 12, finding 3: `backbone: dit`
// silently built an EGNN behind an #ifdef that no build file defined).
#include "pita/model/backbone_factory.h"

#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "pita/core/error.h"
#include "pita/model/dit.h"
#include "pita/model/egnn.h"
#include "pita/model/mlp.h"

namespace pita {
namespace {

using ::testing::HasSubstr;

class BackboneFactoryTest : public ::testing::TestWithParam<std::string> {};

TEST_P(BackboneFactoryTest, BuildsTheNamedBackbone) {
    const std::string kind = GetParam();
    Config cfg = Config::from_string("model:\n  backbone: " + kind + "\n  hidden: 8\n" +
                                     (kind == "dit" ? "  n_heads: 2\n  n_blocks: 1\n" : ""));
    const std::unique_ptr<Backbone> b = make_backbone(cfg.root().child("model"), 4, 3, 1);
    EXPECT_NO_THROW(cfg.finish());
    EXPECT_EQ(b->name(), kind);
    EXPECT_EQ(b->config().value("type", std::string()), kind) << b->config().dump();
    const bool right_type = (kind == "egnn" && dynamic_cast<Egnn*>(b.get()) != nullptr) ||
                            (kind == "mlp" && dynamic_cast<Mlp*>(b.get()) != nullptr) ||
                            (kind == "dit" && dynamic_cast<Dit*>(b.get()) != nullptr);
    EXPECT_TRUE(right_type) << kind;
}

INSTANTIATE_TEST_SUITE_P(EveryChoice, BackboneFactoryTest, ::testing::Values("egnn", "mlp", "dit"));

TEST(BackboneFactory, DitKeysAreAcceptedForTheDitAndNamedForTheEgnn) {
    Config dit = Config::from_string(
        "model:\n  backbone: dit\n  n_blocks: 1\n  n_heads: 2\n"
        "  hidden: 8\n  cond_dim: 4\n");
    EXPECT_EQ(make_backbone(dit.root().child("model"), 5, 3, 1)->name(), "dit");
    EXPECT_NO_THROW(dit.finish());
    Config egnn = Config::from_string("model:\n  backbone: egnn\n  n_blocks: 1\n");
    make_backbone(egnn.root().child("model"), 5, 3, 1);
    EXPECT_THROW(egnn.finish(), ConfigError);
}

TEST(BackboneFactory, OutOfRangeOptionsAreNamedBeforeAnythingIsBuilt) {
    Config cfg = Config::from_string(
        "model:\n  backbone: dit\n  hidden: 0\n  n_heads: -1\n  dropout: 1.5\n");
    std::unique_ptr<Backbone> b;
    EXPECT_NO_THROW(b = make_backbone(cfg.root().child("model"), 5, 3, 1));
    try {
        cfg.finish();
        FAIL();
    } catch (const ConfigError& e) {
        EXPECT_THAT(e.what(), HasSubstr("model.hidden: out of range: got 0"));
        EXPECT_THAT(e.what(), HasSubstr("model.n_heads: out of range: got -1"));
        EXPECT_THAT(e.what(), HasSubstr("model.dropout: out of range: got 1.5"));
    }
}

}  // namespace
}  // namespace pita
