#include "pita/io/run_directory.h"

#include <unistd.h>

#include <atomic>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "pita/core/error.h"
#include "pita/io/atomic_file.h"
#include "pita/io/resume.h"
#include "support/text_helpers.h"

// Outside namespace pita, so the fixture can be called RunDirectory like the class under test.
namespace {

using pita::testing::error_of;

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class RunDirectory : public ::testing::Test {
  protected:
    void SetUp() override {
        static std::atomic<int> counter{0};
        dir_ = fs::temp_directory_path() /
               fmt::format("pita_run_dir_test_{}_{}", static_cast<long>(::getpid()), counter++);
    }
    void TearDown() override {
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }
    std::string file(const std::string& name) const { return (dir_ / name).string(); }
    /// Everything in the directory except `keep`, so a leftover *.tmp shows up by name.
    std::vector<std::string> stray_files(const std::string& keep) const {
        std::vector<std::string> stray;
        for (const auto& e : fs::directory_iterator(dir_)) {
            if (e.path().filename() != keep) stray.push_back(e.path().filename().string());
        }
        return stray;
    }

    fs::path dir_;
};

nlohmann::json read_json(const std::string& path) {
    std::ifstream in(path);
    return nlohmann::json::parse(in);
}

/// YYYY-MM-DDTHH:MM:SSZ (std::regex is avoided: GCC 12 -Wmaybe-uninitialized noise under -O1).
bool is_iso8601_utc(const std::string& s) {
    const std::string shape = "dddd-dd-ddTdd:dd:ddZ";
    if (s.size() != shape.size()) return false;
    for (size_t i = 0; i < s.size(); ++i) {
        if (shape[i] == 'd' ? !std::isdigit(static_cast<unsigned char>(s[i])) : s[i] != shape[i]) {
            return false;
        }
    }
    return true;
}

TEST_F(RunDirectory, CreatesMissingParentsAndJoinsPaths) {
    {
        const auto run = pita::RunDirectory::create(file("a/b/run1"));
        EXPECT_TRUE(fs::is_directory(dir_ / "a/b/run1"));
        EXPECT_EQ(run.path("samples.npy"), (dir_ / "a/b/run1/samples.npy").string());
    }
    // An existing empty directory (its lock file aside) may start a run.
    EXPECT_NO_THROW(pita::RunDirectory::create(file("a/b/run1")));
}

// Issue 12, finding 6: one owner per output directory.
TEST_F(RunDirectory, IsHeldByOneOwnerAtATime) {
    const auto run = pita::RunDirectory::create(file("run"));
    const std::string msg = error_of<pita::IoError>(
        [&] { pita::RunDirectory::open(file("run"), pita::RunDirectoryMode::Resume); });
    EXPECT_THAT(msg, HasSubstr("is in use by another pita process (PID " +
                               std::to_string(::getpid()) + ")"));
}

TEST_F(RunDirectory, AFreshRunRefusesADirectoryThatHoldsFilesAndNamesResume) {
    { pita::RunDirectory::create(file("run")).write_run_json({{"seed", 1}}); }
    const std::string msg =
        error_of<pita::IoError>([&] { pita::RunDirectory::create(file("run")); });
    EXPECT_THAT(msg, HasSubstr("already holds 1 entry (run.json)"));
    EXPECT_THAT(msg, HasSubstr("--resume " + file("run")));
    EXPECT_NO_THROW(pita::RunDirectory::open(file("run"), pita::RunDirectoryMode::Resume));
}

TEST_F(RunDirectory, ResumeNeedsAnExistingDirectory) {
    EXPECT_THAT(error_of<pita::IoError>([&] {
                    pita::RunDirectory::open(file("none"), pita::RunDirectoryMode::Resume);
                }),
                HasSubstr("no such directory"));
    EXPECT_FALSE(fs::exists(dir_ / "none"));
}

TEST_F(RunDirectory, RemovesTemporaryFilesAKilledRunLeftBehind) {
    fs::create_directories(dir_ / "run/train");
    std::ofstream(file("run/train/checkpoint.pt.4242.tmp")) << "half";
    std::ofstream(file("run/state.json.7.tmp")) << "half";
    std::ofstream(file("run/notes.tmp")) << "not ours: no pid";
    std::ofstream(file("run/state.json")) << "{}";
    const auto run = pita::RunDirectory::open(file("run"), pita::RunDirectoryMode::Resume);
    EXPECT_EQ(run.removed_temporary_files(), 2);
    EXPECT_FALSE(fs::exists(dir_ / "run/train/checkpoint.pt.4242.tmp"));
    EXPECT_FALSE(fs::exists(dir_ / "run/state.json.7.tmp"));
    EXPECT_TRUE(fs::exists(dir_ / "run/notes.tmp"));
    EXPECT_TRUE(fs::exists(dir_ / "run/state.json"));
}

TEST_F(RunDirectory, WritesRunJsonWithSeedConfigAndLibraries) {
    const auto run = pita::RunDirectory::create(dir_.string());
    const nlohmann::json config = {{"energy", {{"type", "lennard_jones"}, {"n_particles", 13}}}};
    const uint64_t seed = 18446744073709551557ULL;  // above 2^63: must survive as unsigned
    run.write_run_json(pita::make_run_record(config, seed, 2, "cpu", "pita mcmc lj13.yaml"));

    const nlohmann::json record = read_json(run.path("run.json"));
    EXPECT_EQ(record.at("seed").get<uint64_t>(), seed);
    EXPECT_EQ(record.at("config"), config);
    EXPECT_EQ(record.at("threads"), 2);
    EXPECT_EQ(record.at("device"), "cpu");
    EXPECT_EQ(record.at("command"), "pita mcmc lj13.yaml");
    EXPECT_TRUE(record.at("libraries").contains("libtorch"));
    for (const char* key : {"version", "git", "hostname"}) {
        EXPECT_TRUE(record.at(key).is_string()) << key;
    }
    EXPECT_TRUE(is_iso8601_utc(record.at("created").get<std::string>())) << record.at("created");
    const std::vector<std::string> stray = stray_files("run.json");
    EXPECT_EQ(stray, std::vector<std::string>{pita::RunDirectory::kLockFile});
}

TEST_F(RunDirectory, WritesJsonIndentedByTwoSpaces) {
    fs::create_directories(dir_);
    pita::write_json(file("m.json"), {{"a", 1}});
    std::ifstream in(file("m.json"));
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(text, "{\n  \"a\": 1\n}\n");
}

TEST_F(RunDirectory, ReadsJsonBackAndNamesAMissingOrTruncatedFile) {
    fs::create_directories(dir_);
    pita::write_json(file("m.json"), {{"a", 1}, {"b", {1, 2}}});
    EXPECT_EQ(pita::read_json(file("m.json")), (nlohmann::json{{"a", 1}, {"b", {1, 2}}}));
    EXPECT_THAT(error_of<pita::IoError>([&] { pita::read_json(file("none.json")); }),
                HasSubstr("[io] cannot read '" + file("none.json") + "'"));
    std::ofstream(file("cut.json")) << "{\"a\": ";
    EXPECT_THAT(error_of<pita::IoError>([&] { pita::read_json(file("cut.json")); }),
                HasSubstr("is not valid JSON"));
}

TEST_F(RunDirectory, RejectsPathThatIsAFile) {
    fs::create_directories(dir_);
    std::ofstream(file("taken")) << "x";
    const std::string msg =
        error_of<pita::IoError>([&] { pita::RunDirectory::create(file("taken")); });
    EXPECT_THAT(msg, HasSubstr("[run] cannot use '" + file("taken") + "'"));
    EXPECT_THAT(msg, HasSubstr("is not a directory"));
}

TEST_F(RunDirectory, RejectsDirectoryBelowAFile) {
    fs::create_directories(dir_);
    std::ofstream(file("taken")) << "x";
    const std::string msg =
        error_of<pita::IoError>([&] { pita::RunDirectory::create(file("taken/run")); });
    EXPECT_THAT(msg, HasSubstr("cannot create run directory"));
}

TEST_F(RunDirectory, AtomicWriteReplacesFileAndLeavesNoTmp) {
    fs::create_directories(dir_);
    pita::write_text_atomically(file("out.txt"), "old");
    pita::write_text_atomically(file("out.txt"), "new");
    std::ifstream in(file("out.txt"));
    std::string text;
    in >> text;
    EXPECT_EQ(text, "new");
    EXPECT_TRUE(stray_files("out.txt").empty());
}

TEST_F(RunDirectory, FailingWriterKeepsOldFileAndLeavesNoTmp) {
    fs::create_directories(dir_);
    pita::write_text_atomically(file("out.txt"), "old");
    EXPECT_THROW(pita::write_file_atomically(file("out.txt"),
                                             [](std::ostream& out) {
                                                 out << "half";
                                                 throw std::runtime_error("writer died");
                                             }),
                 std::runtime_error);
    std::ifstream in(file("out.txt"));
    std::string text;
    in >> text;
    EXPECT_EQ(text, "old");
    EXPECT_TRUE(stray_files("out.txt").empty());
}

TEST_F(RunDirectory, AtomicWriteIntoMissingDirectoryNamesIt) {
    const std::string msg =
        error_of<pita::IoError>([&] { pita::write_text_atomically(file("missing/x.json"), "{}"); });
    EXPECT_THAT(msg, HasSubstr("[io] cannot write '" + file("missing/x.json") + "'"));
    EXPECT_THAT(msg, HasSubstr("directory '" + file("missing") + "' does not exist"));
}

TEST_F(RunDirectory, AtomicWriteOverADirectoryFailsAndLeavesNoTmp) {
    fs::create_directories(dir_ / "sub");
    const std::string msg =
        error_of<pita::IoError>([&] { pita::write_text_atomically(file("sub"), "x"); });
    EXPECT_THAT(msg, HasSubstr("Is a directory"));
    EXPECT_TRUE(stray_files("sub").empty());
}

TEST(ResumeConfig, KeysAddedLaterAreNoChangeOnlyAtTheirOldBehaviour) {
    // A run recorded before train.losses.energy_consistency existed resumes while the key
    // keeps its no-op value; switching it on, or any other key, is a change.
    const auto never = [](const std::string&) { return false; };
    const nlohmann::json old_record = {{"train", {{"losses", {{"score", 1.0}}}}}};
    nlohmann::json now = old_record;
    now["train"]["losses"]["energy_consistency"] = 0.0;
    now["train"]["losses"]["consistency_group"] = 8;
    EXPECT_TRUE(pita::changed_keys(old_record, now, never).empty());
    now["train"]["losses"]["energy_consistency"] = 0.5;
    EXPECT_EQ(pita::changed_keys(old_record, now, never),
              std::vector<std::string>{"train.losses.energy_consistency"});
    now["train"]["losses"]["energy_consistency"] = 0.0;
    now["train"]["losses"]["new_key"] = 0.0;
    EXPECT_EQ(pita::changed_keys(old_record, now, never),
              std::vector<std::string>{"train.losses.new_key"});
    // The same for a `pita run` record without anneal.resample_end_sigma.
    nlohmann::json run_record = {{"anneal", {{"steps", 200}}}};
    nlohmann::json run_now = run_record;
    run_now["anneal"]["resample_end_sigma"] = 0.0;
    EXPECT_TRUE(pita::changed_keys(run_record, run_now, never).empty());
    run_now["anneal"]["resample_end_sigma"] = 0.19;
    EXPECT_EQ(pita::changed_keys(run_record, run_now, never),
              std::vector<std::string>{"anneal.resample_end_sigma"});
}

}  // namespace
