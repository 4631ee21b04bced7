#include "pita/config/config.h"

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

TEST(EditDistance, CountsInsertionsDeletionsAndSubstitutions) {
    EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
    EXPECT_EQ(edit_distance("", "abc"), 3u);
    EXPECT_EQ(nearest("n_step", {"n_steps", "thin"}), "n_steps");
    EXPECT_EQ(nearest("completely_different", {"n_steps", "thin"}), "");
}

}  // namespace
}  // namespace pita
