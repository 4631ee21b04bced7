// `pita md CONFIG [--resume DIR] [key=value ...]`: Langevin MD of a peptide target (PITA-SPEC
// §1.3), plain or replica exchange. The config is read and checked here; the run and its outputs
// are the library's (pita/md/md_run.h lists the files); progress bars and the summary print here.
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "pita/config/config.h"
#include "pita/core/device.h"
#include "pita/core/error.h"
#include "pita/core/progress.h"
#include "pita/core/rng.h"
#include "pita/io/run_directory.h"
#include "pita/pipeline/memory_plan.h"
#include "pita/targets/energy_factory.h"
#ifdef PITA_WITH_OPENMM
#include "pita/md/md_run.h"
#include "pita/md/md_simulation.h"
#include "pita/molecule/molecule.h"
#endif
#include "pita/io/resume.h"
#include "run_settings.h"

namespace pita::cli {

#ifdef PITA_WITH_OPENMM
namespace {

/// One progress bar per phase of the run, on standard error.
class MdProgressBars final : public MdObserver {
  public:
    void resumed(int64_t done, int64_t total) override {
        std::cerr << fmt::format("[pita md] resuming after {} of {} frames\n", done, total);
    }
    void phase_started(const std::string& phase, int64_t total) override {
        bar_ = std::make_unique<Progress>(phase, total);
    }
    void progress(const std::string&, int64_t done, int64_t, const std::string& text) override {
        bar_->update(done, text);
    }
    void phase_finished(const std::string&) override { bar_->finish(); }

  private:
    std::unique_ptr<Progress> bar_;
};

}  // namespace

int run_md(const CommonArgs& args, const std::string& resume_dir) {
    std::vector<std::string> overrides = args.overrides;
    if (!resume_dir.empty()) overrides = resume_overrides("md", overrides, resume_dir);
    Config cfg = Config::load_file(args.config, overrides);
    const ConfigNode root = cfg.root();
    const RunSettings settings =
        read_run_settings(root, std::filesystem::path(args.config).stem().string() + "-md");
    std::unique_ptr<Energy> energy = make_energy(root.child("energy"));
    const Molecule& molecule = md_target(*energy);
    const MdRunOptions plan = read_md_run_options(root);
    cfg.finish();
    const size_t n_temperatures = plan.temperatures.size();
    const MemoryEstimate memory = md_memory_estimate(plan, molecule.n_particles());
    require_memory(memory, "md");
    if (args.check_only)
        return finish_check(
            args.print_config, cfg,
            fmt::format("config OK: {} · {} temperature{} × {} replicas · {} frames × {} steps · "
                        "memory {}\n",
                        energy->name(), n_temperatures, n_temperatures == 1 ? "" : "s",
                        plan.n_replicas, plan.n_frames, plan.steps_per_frame, memory.summary()));

    const int threads = set_threads(settings.threads);
    RunDirectory dir = open_run_directory(settings.output_dir, resume_dir);
    // A run stopped before its first checkpoint has nothing to continue from: --resume then
    // starts it again in the same directory (its config is still checked against run.json).
    const bool resuming = !resume_dir.empty() && std::filesystem::exists(dir.path("checkpoint.pt"));
    nlohmann::json record;
    if (!resume_dir.empty()) {
        record = read_resumable_record(dir, "md", resume_dir, cfg.resolved(),
                                       md_key_may_change_on_resume, kMdKeysThatMayChangeOnResume);
        if (!resuming)
            std::cerr << fmt::format("[pita md] --resume {}: no checkpoint yet; starting anew.\n",
                                     resume_dir);
        record["resumed"].push_back(make_run_record(cfg.resolved(), settings.seed, threads,
                                                    settings.device.str(), args.command_line));
    } else {
        record = make_run_record(cfg.resolved(), settings.seed, threads, settings.device.str(),
                                 args.command_line);
        record["command"] = "md";
        record["energy"] = energy->config();
    }
    dir.write_run_json(record);
    std::cerr << fmt::format(
        "[pita md] {} atoms · {} · {} replica{} per temperature · {:g} fs · {} frames x {} steps "
        "· seed {} · {} thread{} · {} · output {}{}\n",
        molecule.n_particles(),
        n_temperatures > 1
            ? fmt::format("replica exchange over {} temperatures {:g}–{:g} K every {} steps",
                          n_temperatures, plan.temperatures.front(), plan.temperatures.back(),
                          plan.exchange_interval)
            : fmt::format("{:g} K", plan.temperatures.front()),
        plan.n_replicas, plan.n_replicas == 1 ? "" : "s", plan.langevin.step_size * 1000,
        plan.n_frames, plan.steps_per_frame, settings.seed, threads, threads == 1 ? "" : "s",
        settings.device.str(), dir.root(), resuming ? " (resumed)" : "");

    at::Generator gen = make_generator(settings.seed, settings.device);
    MdProgressBars bars;
    const MdRunResult result =
        pita::run_md(molecule, plan, dir, resuming ? MdStart::FromCheckpoint : MdStart::Fresh,
                     settings.device, gen, bars);
    fmt::print("{}outputs in {}/\n", format_md_summary(result.stats), dir.root());
    return 0;
}
#else
int run_md(const CommonArgs&, const std::string&) {
    throw ConfigError(
        "[md] this pita was built without OpenMM: got PITA_WITH_OPENMM off; expected on. Install "
        "OpenMM (libopenmm-dev) and reconfigure.");
}
#endif

}  // namespace pita::cli
