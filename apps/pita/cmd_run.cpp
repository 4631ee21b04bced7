// `pita run CONFIG [--resume RUN_DIR]`: the progressive PITA loop down a temperature ladder. The
// loop, its outputs and its resume rules are the library's (pita/pipeline/progressive_run.h); this
// file reads the config, checks it, and prints.
#include <filesystem>
#include <iostream>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "console_observer.h"
#include "metrics_table.h"
#include "pita/config/config.h"
#include "pita/core/device.h"
#include "pita/energy/energy.h"
#include "pita/io/resume.h"
#include "pita/io/run_directory.h"
#include "pita/model/backbone.h"
#include "pita/model/backbone_factory.h"
#include "pita/pipeline/memory_plan.h"
#include "pita/pipeline/progressive_run.h"
#include "run_settings.h"

namespace pita::cli {

namespace {

/// The `--check` line: what the run would do.
std::string describe(const ProgressiveRunPlan& plan, const MemoryEstimate& memory) {
    const ProgressiveRunOptions& o = plan.options;
    const std::vector<int64_t> steps =
        o.training.steps_per_stage(static_cast<int64_t>(o.ladder.size()) - 1);
    return fmt::format(
        "config OK: {} · ladder {} · {} ({} parameters per network) · data {} · "
        "training steps per rung {} at batch {} · annealing {} particles × {} steps ({} "
        "divergence) · device {} · memory {}\n",
        plan.energy->name(), fmt::join(o.ladder, " → "), plan.backbone->name(),
        count_parameters(*plan.backbone), o.data.describe(), fmt::join(steps, "/"),
        o.trainer.batch_size, o.anneal.sde.n_samples, o.anneal.sde.steps,
        o.anneal.model.divergence == DivergenceEstimator::Exact ? "exact" : "Hutchinson",
        o.settings.device.str(), memory.summary());
}

}  // namespace

int run_pipeline(const CommonArgs& args, const std::string& resume_dir) {
    const std::vector<std::string> overrides =
        resume_dir.empty() ? args.overrides : resume_overrides("run", args.overrides, resume_dir);
    Config cfg = Config::load_file(args.config, overrides);
    ProgressiveRunPlan plan = read_progressive_run_plan(
        cfg.root(), std::filesystem::path(args.config).stem().string() + "-run");
    cfg.finish();  // every config problem is reported here, before any work
    const MemoryEstimate memory = estimate_progressive_run_memory(plan);
    require_memory(memory, "run");
    const std::vector<double> unreferenced = temperatures_without_reference(plan.options);
    if (!unreferenced.empty())
        std::cerr << fmt::format(
            "warning: no reference samples for T = {} under {}: their reference metrics will be "
            "skipped (noted in metrics.json).\n",
            fmt::join(unreferenced, ", "), plan.options.reference_root);
    if (args.check_only) return finish_check(args.print_config, cfg, describe(plan, memory));

    RunInvocation invocation;
    invocation.resolved_config = cfg.resolved();
    invocation.command_line = args.command_line;
    invocation.threads = set_threads(plan.options.settings.threads);
    invocation.resume = !resume_dir.empty();
    const RunDirectory dir = open_run_directory(plan.options.settings.output_dir, resume_dir);
    ConsoleObserver observer;
    const nlohmann::json metrics = run_progressive(plan, dir, invocation, observer);

    print_metrics_table(metrics["temperatures"]);
    const nlohmann::json& ev = metrics["energy_evaluations"];
    fmt::print(
        "\ntarget-energy evaluations: {} (data {}, buffers {}, correction {}, relaxation {}); "
        "metrics used {} more. Outputs in {}/\n",
        ev["total"].get<int64_t>(), ev["data"].get<int64_t>(), ev["buffer"].get<int64_t>(),
        ev["correction"].get<int64_t>(), ev["relaxation"].get<int64_t>(),
        metrics["metric_energy_evaluations"].get<int64_t>(), dir.root());
    return 0;
}

}  // namespace pita::cli
