#include "pita/config/config.h"

#include <cstdio>
#include <fstream>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "pita/core/error.h"

namespace pita {
namespace {

using ::testing::HasSubstr;

std::string finish_message(const Config& cfg) {
    try {
        cfg.finish();
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "";
}

TEST(Config, ReadsValuesAndFallsBackToDefaults) {
    Config cfg = Config::from_string("mcmc:\n  n_steps: 200\n  step_size: 1.5e-3\n");
    ConfigNode mcmc = cfg.root().child("mcmc");
    EXPECT_EQ(mcmc.get_int("n_steps", 1), 200);
    EXPECT_DOUBLE_EQ(mcmc.get_double("step_size", 0.0), 1.5e-3);
    EXPECT_EQ(mcmc.get_int("thin", 10), 10);
    EXPECT_NO_THROW(cfg.finish());
    EXPECT_EQ(cfg.resolved()["mcmc"]["thin"], 10);
    EXPECT_EQ(cfg.resolved()["mcmc"]["n_steps"], 200);
}

TEST(Config, UnknownKeyNamesTheNearestValidKey) {
    Config cfg = Config::from_string("mcmc:\n  n_step: 200\n");
    cfg.root().child("mcmc").get_int("n_steps", 1);
    EXPECT_THAT(finish_message(cfg),
                HasSubstr("mcmc.n_step: unknown key. Did you mean 'mcmc.n_steps'?"));
}

TEST(Config, UnknownKeyWithoutNearMatchListsValidKeys) {
    Config cfg = Config::from_string("zzzzzz: 1\n");
    cfg.root().get_int("seed", 0);
    EXPECT_THAT(finish_message(cfg), HasSubstr("zzzzzz: unknown key. Valid keys here: seed."));
}

TEST(Config, WrongTypeIsReportedWithWhatWasFound) {
    Config cfg = Config::from_string("mcmc:\n  n_steps: many\n  thin: 1.5\n");
    ConfigNode mcmc = cfg.root().child("mcmc");
    mcmc.get_int("n_steps", 1);
    mcmc.get_int("thin", 1);
    const std::string msg = finish_message(cfg);
    EXPECT_THAT(msg, HasSubstr("2 problems"));
    EXPECT_THAT(msg, HasSubstr("mcmc.n_steps: wrong type: got 'many'; expected an integer"));
    EXPECT_THAT(msg, HasSubstr("mcmc.thin: wrong type: got '1.5'; expected an integer"));
}

TEST(Config, AllProblemsAreReportedAtOnce) {
    Config cfg = Config::from_string("a: 1\nb: x\nc: 3\n");
    cfg.root().get_double("b", 0.0);
    const std::string msg = finish_message(cfg);
    EXPECT_THAT(msg, HasSubstr("3 problems"));
    EXPECT_THAT(msg, HasSubstr("a: unknown key"));
    EXPECT_THAT(msg, HasSubstr("c: unknown key"));
}

TEST(Config, HydraOverridesReplaceAndCreateKeys) {
    Config cfg = Config::from_string(
        "mcmc:\n  n_steps: 200\n",
        {"mcmc.n_steps=5", "energy.n_particles=55", "mcmc.temperatures=[1.0, 2.0]"});
    EXPECT_EQ(cfg.root().child("mcmc").get_int("n_steps", 0), 5);
    EXPECT_EQ(cfg.root().child("energy").get_int("n_particles", 13), 55);
    EXPECT_EQ(cfg.root().child("mcmc").get_double_list("temperatures", {}),
              (std::vector<double>{1.0, 2.0}));
    EXPECT_NO_THROW(cfg.finish());
}

TEST(Config, OverrideOfUnknownKeyIsCaughtLikeAFileKey) {
    Config cfg = Config::from_string("", {"mcmc.n_chain=4"});
    cfg.root().child("mcmc").get_int("n_chains", 1);
    EXPECT_THAT(finish_message(cfg), HasSubstr("Did you mean 'mcmc.n_chains'?"));
}

TEST(Config, MalformedOverrideIsAClearError) {
    try {
        Config::from_string("", {"mcmc.n_steps"});
        FAIL();
    } catch (const ConfigError& e) {
        EXPECT_THAT(e.what(), HasSubstr("expected key.sub=value"));
    }
    EXPECT_THROW(Config::from_string("a: 1", {"a.b=2"}), ConfigError);
}

TEST(Config, ChoiceSuggestsNearestValue) {
    Config cfg = Config::from_string("type: lenard_jones\n");
    cfg.root().get_choice("type", "gmm", {"lennard_jones", "gmm"});
    EXPECT_THAT(finish_message(cfg), HasSubstr("Did you mean 'lennard_jones'?"));
}

TEST(Config, MissingFileIsAnIoErrorNamingThePath) {
    try {
        Config::load_file("/nonexistent/lj13.yaml");
        FAIL();
    } catch (const IoError& e) {
        EXPECT_THAT(e.what(), HasSubstr("cannot open config file '/nonexistent/lj13.yaml'"));
    }
}

TEST(Config, InvalidYamlReportsTheLine) {
    try {
        Config::from_string("a: 1\nb: [1, 2\n");
        FAIL();
    } catch (const ConfigError& e) {
        EXPECT_THAT(e.what(), HasSubstr("not valid YAML"));
    }
}

TEST(Config, SectionGivenAsScalarIsAnError) {
    Config cfg = Config::from_string("mcmc: 3\n");
    cfg.root().child("mcmc").get_int("n_steps", 1);
    EXPECT_THAT(finish_message(cfg), HasSubstr("mcmc: wrong type: got '3'; expected a section"));
}

// Issue 12, finding 8: values that used to pass the config check and fail (or silently run
// something else) later.
TEST(Config, OutOfRangeValuesAreReportedWithTheKeyAndTheBounds) {
    Config cfg = Config::from_string("anneal:\n  n_samples: 0\n  ess_threshold: 2\n  steps: -1\n");
    const ConfigNode a = cfg.root().child("anneal");
    a.get_int("n_samples", 512, Bounds::at_least(1));
    a.get_double("ess_threshold", 0.5, Bounds::between(0, 1));
    a.get_int("steps", 100, Bounds::at_least(1));
    const std::string msg = finish_message(cfg);
    EXPECT_THAT(msg, HasSubstr("3 problems"));
    EXPECT_THAT(msg, HasSubstr("anneal.n_samples: out of range: got 0; expected an integer >= 1."));
    EXPECT_THAT(
        msg, HasSubstr(
                 "anneal.ess_threshold: out of range: got 2; expected a finite number in [0, 1]."));
    EXPECT_THAT(msg, HasSubstr("anneal.steps: out of range: got -1; expected an integer >= 1."));
}

TEST(Config, NonFiniteNumbersAreRefusedForEveryKey) {
    for (const char* v : {"nan", ".nan", "inf", "-.inf"}) {
        Config cfg = Config::from_string(fmt::format("threshold: {}\nladder: [4, {}]\n", v, v));
        cfg.root().get_double("threshold", 1000.0);
        cfg.root().get_double_list("ladder", {1.0});
        const std::string msg = finish_message(cfg);
        EXPECT_THAT(msg, HasSubstr("threshold: not a finite number")) << v;
        EXPECT_THAT(msg, HasSubstr("ladder: entry")) << v;
    }
}

TEST(Config, HugeNumbersAreNamedInShortForm) {
    Config cfg = Config::from_string("x: 1.7976931348623157e308\n");
    cfg.root().get_double("x", 1.0, Bounds::between(0, 10));
    const std::string msg = finish_message(cfg);
    EXPECT_THAT(msg, HasSubstr("got 1.79769e+308; expected a finite number in [0, 10]"));
    EXPECT_LT(msg.size(), 200u) << msg;
}

TEST(Config, BoundsDescribeThemselves) {
    EXPECT_EQ(Bounds::above(0).describe(), "> 0");
    EXPECT_EQ(Bounds::at_least(1).describe(), ">= 1");
    EXPECT_EQ(Bounds::between(0, 1).describe(), "in [0, 1]");
    EXPECT_EQ(Bounds::above(0).below(1).describe(), "> 0 and < 1");
    EXPECT_TRUE(Bounds::above(0).below(1).contains(0.5));
    EXPECT_FALSE(Bounds::above(0).below(1).contains(1.0));
    EXPECT_FALSE(Bounds::above(0).contains(0.0));
    EXPECT_TRUE(Bounds::at_least(0).contains(0.0));
}

TEST(Config, EmptyOverrideIsAnEmptyStringNotTheDefault) {
    Config cfg = Config::from_string("mcmc:\n  n_chains: 4\n", {"mcmc.n_chains=", "reference="});
    EXPECT_EQ(cfg.root().child("mcmc").get_int("n_chains", 256), 256);
    EXPECT_EQ(cfg.root().get_string("reference", "data/lj13"), "");
    EXPECT_THAT(finish_message(cfg),
                HasSubstr("mcmc.n_chains: wrong type: got ''; expected an integer"));
}

TEST(Config, KeyWithoutValueInAFileIsAnError) {
    Config cfg = Config::from_string("mcmc:\n  n_chains:\n  name: ~\n");
    cfg.root().child("mcmc").get_int("n_chains", 256);
    cfg.root().child("mcmc").get_string("name", "x");
    const std::string msg = finish_message(cfg);
    EXPECT_THAT(msg, HasSubstr("mcmc.n_chains: no value given"));
    EXPECT_THAT(msg, HasSubstr("mcmc.name: no value given"));
}

TEST(Config, DuplicateKeysAreRefusedWithBothLines) {
    try {
        Config::from_string("train:\n  steps: 10\n  lr: 1\n  steps: 1000\n");
        FAIL();
    } catch (const ConfigError& e) {
        EXPECT_THAT(e.what(), HasSubstr("key 'train.steps' appears twice (lines 2 and 4)"));
    }
    EXPECT_THROW(Config::from_string("a: 1\na: 1\n"), ConfigError);
}

TEST(Config, EmptyConfigFileIsRefused) {
    const std::string path = ::testing::TempDir() + "/pita_empty_config.yaml";
    for (const char* text : {"", "\n\n", "# only a comment\n  \n"}) {
        {
            std::ofstream out(path);
            out << text;
        }
        try {
            Config::load_file(path);
            FAIL() << "accepted '" << text << "'";
        } catch (const ConfigError& e) {
            EXPECT_THAT(e.what(), HasSubstr("is empty"));
        }
    }
    std::remove(path.c_str());
}

// Issue 12, findings 4 and 5: opening a section twice reset it in resolved(), so run.json and the
// resume check lost every model key but the last reader's.
TEST(Config, ASectionOpenedTwiceKeepsEveryKeyInTheResolvedConfig) {
    Config cfg = Config::from_string("model:\n  hidden: 16\n  sigma_data: 1.5\n");
    cfg.root().child("model").get_int("hidden", 32);
    cfg.root().child("model").get_double("sigma_data", 1.0);
    const nlohmann::json model = cfg.resolved()["model"];
    EXPECT_EQ(model["hidden"], 16);
    EXPECT_EQ(model["sigma_data"], 1.5);
}

TEST(Config, IntegersAreDecimal) {
    Config cfg = Config::from_string("n: 010\n");
    EXPECT_EQ(cfg.root().get_int("n", 0), 10);
}

TEST(EditDistance, CountsInsertionsDeletionsAndSubstitutions) {
    EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
    EXPECT_EQ(edit_distance("", "abc"), 3u);
    EXPECT_EQ(nearest("n_step", {"n_steps", "thin"}), "n_steps");
    EXPECT_EQ(nearest("completely_different", {"n_steps", "thin"}), "");
}

}  // namespace
}  // namespace pita
