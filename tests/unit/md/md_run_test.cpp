// The MD pipeline as a library (pita/md/md_run.h, md_simulation.h): a tiny replica-exchange run
// of alanine dipeptide made in memory gives bit for bit what `pita md` writes for the same
// config and seed; the options reader names the key it refuses.
#include "pita/md/md_run.h"

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "pita/config/config.h"
#include "pita/core/error.h"
#include "pita/core/rng.h"
#include "pita/io/npy.h"
#include "pita/io/run_directory.h"
#include "pita/md/md_options.h"
#include "support/cli_helpers.h"
#ifdef PITA_WITH_OPENMM
#include "pita/md/md_simulation.h"
#include "pita/molecule/molecule.h"
#include "support/molecule_helpers.h"
#endif

namespace pita {
namespace {

using ::testing::HasSubstr;

std::string config_error(const std::string& md_section) {
    Config cfg = Config::from_string("md:\n" + md_section);
    try {
        read_md_run_options(cfg.root());
        cfg.finish();
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "";
}

TEST(MdRunOptions, ReaderNamesTheKeyItRefuses) {
    EXPECT_THAT(config_error("  temperatures: [300, 200]\n"), HasSubstr("temperatures"));
    EXPECT_THAT(config_error("  temperature: 300\n  temperatures: [300, 400]\n"),
                HasSubstr("not both"));
    EXPECT_THAT(config_error("  step_size: 0.5\n"), HasSubstr("step_size"));
    EXPECT_THAT(config_error("  n_replicas: 0\n"), HasSubstr("n_replicas"));
    Config cfg = Config::from_string("md:\n  temperatures: [300, 450]\n");
    const MdRunOptions o = read_md_run_options(cfg.root());
    EXPECT_EQ(o.temperatures, (std::vector<double>{300, 450}));
    EXPECT_EQ(o.langevin.temperature, 300);
    EXPECT_EQ(o.n_replicas, 16);
}

#ifdef PITA_WITH_OPENMM
/// Counts what the run reports.
struct CountingObserver final : MdObserver {
    std::vector<std::string> phases;
    int64_t last_frame = 0;
    void phase_started(const std::string& phase, int64_t) override { phases.push_back(phase); }
    void progress(const std::string& phase, int64_t done, int64_t, const std::string&) override {
        if (phase == "production") last_frame = done;
    }
};

class MdRunTest : public testing::ScratchDirTest {};

TEST_F(MdRunTest, InMemorySamplesAreWhatPitaMdWrites) {
    const std::string data = std::string(PITA_SOURCE_DIR) + "/data/molecules/";
    const std::string text = "seed: 7\nthreads: 1\nenergy:\n  type: molecule\n  system: " + data +
                             "aldp.system.xml\n  pdb: " + data +
                             "aldp.pdb\nmd:\n  temperatures: [300, 600]\n  n_replicas: 2\n"
                             "  exchange_interval: 5\n  warmup_steps: 10\n  n_frames: 3\n"
                             "  steps_per_frame: 5\noutput:\n  dcd: false\n";
    const std::string cfg_path = testing::write_text_file(dir_ / "md.yaml", text);
    const testing::Outcome cli =
        testing::run_pita("md " + cfg_path + " --out " + (dir_ / "cli").string());
    ASSERT_EQ(cli.exit_code, 0) << cli.output;

    // The same run through the library, in memory, on one thread as the CLI's.
    const int threads = at::get_num_threads();
    at::set_num_threads(1);
    Config cfg = Config::from_string(text);
    const MdRunOptions options = read_md_run_options(cfg.root());
    const Molecule molecule(testing::molecule_params("aldp"));
    at::Generator gen = make_generator(7, c10::Device(c10::kCPU));
    CountingObserver observer;
    const std::vector<MdSamples> runs =
        simulate_md(molecule, options, c10::Device(c10::kCPU), gen, observer);
    // And written in pita md's layout by the library: the same files, byte for byte.
    at::Generator gen_files = make_generator(7, c10::Device(c10::kCPU));
    MdObserver silent;
    const RunDirectory lib = RunDirectory::create((dir_ / "lib").string());
    run_md(molecule, options, lib, MdStart::Fresh, c10::Device(c10::kCPU), gen_files, silent);
    at::set_num_threads(threads);
    for (const char* t : {"T300", "T600"})
        for (const char* f : {"frames.npy", "samples.npy", "energies.npy",
                              "kinetic_temperature.npy", "torsions.npy"}) {
            const std::string name = std::string(t) + "/" + f;
            const std::string bytes = testing::read_text_file((dir_ / "lib" / name).string());
            EXPECT_FALSE(bytes.empty()) << name;
            EXPECT_EQ(bytes, testing::read_text_file((dir_ / "cli" / name).string())) << name;
        }

    EXPECT_EQ(observer.phases, (std::vector<std::string>{"warmup", "production"}));
    EXPECT_EQ(observer.last_frame, 3);
    const nlohmann::json stats = nlohmann::json::parse(std::ifstream(dir_ / "cli/md.json"));
    ASSERT_EQ(runs.size(), 2u);
    for (const MdSamples& s : runs) {
        const std::filesystem::path t = dir_ / "cli" / temperature_dir(s.temperature);
        EXPECT_EQ(s.samples.sizes(), (std::vector<int64_t>{6, 22, 3}));
        EXPECT_EQ(s.samples.scalar_type(), at::kFloat);
        EXPECT_TRUE(s.samples.equal(read_npy((t / "samples.npy").string()))) << t;
        EXPECT_TRUE(s.energies.equal(read_npy((t / "energies.npy").string()))) << t;
        EXPECT_EQ(s.force_evaluations, stats["force_evaluations"].get<int64_t>());
    }
    // 4 replicas × (start + 10 warm-up + 3 × 5 production steps).
    EXPECT_EQ(runs[0].force_evaluations, 4 * (1 + 10 + 15));
}
#endif

}  // namespace
}  // namespace pita

#ifdef PITA_WITH_OPENMM
namespace {

// One misconfigured key per section of a `pita md` config: `pita md --check` refuses it before any
// work and names the key.
struct BadMdKey {
    const char* override_;
    const char* named;
};

class MdCheckRefuses : public pita::testing::ScratchDirTest,
                       public ::testing::WithParamInterface<BadMdKey> {};

TEST_P(MdCheckRefuses, AMisconfiguredKeyOfEverySection) {
    const BadMdKey bad = GetParam();
    const std::string src = PITA_SOURCE_DIR;
    const pita::testing::Outcome o = pita::testing::run_pita(
        "md " + src + "/configs/aldp-md.yaml --check energy.system=" + src +
        "/data/molecules/aldp.system.xml energy.pdb=" + src + "/data/molecules/aldp.pdb '" +
        bad.override_ + "' --out " + (dir_ / "never").string());
    EXPECT_EQ(o.exit_code, 2) << o.output;
    EXPECT_THAT(o.output, ::testing::HasSubstr(bad.named)) << o.output;
    EXPECT_FALSE(std::filesystem::exists(dir_ / "never"));
}

INSTANTIATE_TEST_SUITE_P(
    EverySection, MdCheckRefuses,
    ::testing::Values(BadMdKey{"seed=-5", "seed"}, BadMdKey{"device=tpu", "device"},
                      BadMdKey{"energy.length_scale=-1", "energy.length_scale"},
                      BadMdKey{"md.n_replicas=0", "md.n_replicas"},
                      BadMdKey{"md.step_size=1", "md.step_size"},
                      BadMdKey{"md.temperatures=[300,200]", "md.temperatures"},
                      BadMdKey{"output.frames_dtype=int8", "output.frames_dtype"},
                      BadMdKey{"output.checkpoint_minutes=-1", "output.checkpoint_minutes"}));

}  // namespace
#endif
