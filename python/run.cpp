// A whole `pita run` (pita/pipeline/progressive_run.h) from Python: the same config reading and
// checks, the same run directory and outputs, so the same seed gives the same samples. The loop
// runs with the GIL released; the observer takes it back to forward progress to a Python callable
// and log lines to the `pita` logger, and to let Ctrl-C (KeyboardInterrupt) stop the run.
#include <filesystem>
#include <optional>

#include <ATen/Parallel.h>
#include <nlohmann/json.hpp>

#include "bindings.h"
#include "pita/config/config.h"
#include "pita/core/device.h"
#include "pita/core/error.h"
#include "pita/core/run_observer.h"
#include "pita/io/resume.h"
#include "pita/io/run_directory.h"
#include "pita/pipeline/memory_plan.h"
#include "pita/pipeline/progressive_run.h"

namespace pita::python {

namespace {

/// Forwards a run's reports to Python. Called with the GIL released; every method takes it.
/// A Python exception (from the callback, or a pending KeyboardInterrupt) is thrown on as
/// py::error_already_set, which ends the run and reaches the caller as that exception.
class PythonObserver : public RunObserver {
  public:
    explicit PythonObserver(py::object progress) : progress_(std::move(progress)) {
        logger_ = py::module_::import("logging").attr("getLogger")("pita");
    }
    ~PythonObserver() override {
        py::gil_scoped_acquire acquire;  // the references are dropped with the GIL held
        progress_ = py::object();
        logger_ = py::object();
    }
    PythonObserver(const PythonObserver&) = delete;
    PythonObserver& operator=(const PythonObserver&) = delete;

    void progress(const std::string& phase, int64_t done, int64_t total,
                  const std::string& status) override {
        py::gil_scoped_acquire acquire;
        if (PyErr_CheckSignals() != 0) throw py::error_already_set();
        if (!progress_.is_none()) progress_(phase, done, total, status);
    }
    void phase_finished(const std::string& phase, const std::string& summary) override {
        log("info", phase + ": " + summary);
    }
    void message(const std::string& line) override { log("info", line); }
    void warning(const std::string& line) override { log("warning", line); }

  private:
    void log(const char* level, const std::string& line) {
        py::gil_scoped_acquire acquire;
        logger_.attr(level)(line);
    }

    py::object progress_;
    py::object logger_;
};

/// Restores LibTorch's intra-op thread count (a process-wide setting) when the run ends.
class ThreadCountGuard {
  public:
    ThreadCountGuard() : saved_(at::get_num_threads()) {}
    ~ThreadCountGuard() { at::set_num_threads(saved_); }
    ThreadCountGuard(const ThreadCountGuard&) = delete;
    ThreadCountGuard& operator=(const ThreadCountGuard&) = delete;

  private:
    int saved_;
};

py::object run(const py::object& config, const py::object& out_dir_arg,
               std::vector<std::string> overrides, const py::object& progress, bool resume) {
    const std::optional<std::string> out_dir =
        out_dir_arg.is_none() ? std::nullopt : std::optional<std::string>(fspath(out_dir_arg));
    std::string resume_dir;
    if (resume) {
        PITA_CHECK(out_dir.has_value(),
                   "[python] run: resume=True without out_dir; expected the run directory to "
                   "continue.");
        resume_dir = *out_dir;
        overrides = resume_overrides("run", overrides, resume_dir);
    } else if (out_dir) {
        overrides.push_back("output_dir=" + *out_dir);  // as `pita run --out DIR`
    }
    const bool from_file = !py::isinstance<py::dict>(config);
    const std::string path = from_file ? fspath(config) : "";
    Config cfg = from_file ? Config::load_file(path, overrides)
                           : Config::from_string(to_json(config).dump(), overrides);
    const std::string stem =
        (from_file ? std::filesystem::path(path).stem().string() : std::string("python")) + "-run";
    ProgressiveRunPlan plan = read_progressive_run_plan(cfg.root(), stem);
    cfg.finish();  // every config problem, before any work
    require_memory(estimate_progressive_run_memory(plan), "run");

    RunInvocation invocation;
    invocation.resolved_config = cfg.resolved();
    invocation.command_line = "python: pita.run(" + (from_file ? path : "<dict>") + ")";
    for (const std::string& o : overrides) invocation.command_line += " " + o;
    invocation.resume = resume;
    ThreadCountGuard threads;
    invocation.threads = set_threads(plan.options.settings.threads);
    const RunDirectory dir = open_run_directory(plan.options.settings.output_dir, resume_dir);
    nlohmann::json metrics;
    {
        PythonObserver observer(progress);
        py::gil_scoped_release release;
        metrics = run_progressive(plan, dir, invocation, observer);
    }
    py::object out = to_python(metrics);
    out["run_dir"] = dir.root();
    return out;
}

}  // namespace

void bind_run(py::module_& m) {
    m.def("run", &run, py::arg("config"), py::arg("out_dir") = py::none(),
          py::arg("overrides") = std::vector<std::string>{}, py::arg("progress") = py::none(),
          py::arg("resume") = false,
          R"(Runs the whole progressive PITA loop of a `pita run` config (a path, or the config as
a dict), exactly as `pita run CONFIG OVERRIDES --out OUT_DIR` does: same checks, same outputs in
out_dir, and with the same seed (and threads=1) the same samples. overrides: Hydra-style
"key=value" strings. progress(phase, done, total, status) is called every few steps; log lines
go to the `pita` logger. resume=True continues the run in out_dir. Returns metrics.json's
content plus run_dir. Threads: the config's `threads` (LibTorch's thread count is restored
afterwards).)");
}

}  // namespace pita::python
