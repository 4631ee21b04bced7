#pragma once
// Progress reporting for long loops (training, sampling, MD). The caller owns the stream; the
// library only reports through a Progress it was handed, so library code still never prints.
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>
#include <string>

namespace pita {

/// How Progress writes: one line rewritten in place (a terminal) or appended log lines (a file).
enum class ProgressMode { Auto, Live, Log };

struct ProgressOptions {
    /// Auto: Live when `out` is std::cerr/std::clog/std::cout and that file descriptor is a tty.
    ProgressMode mode = ProgressMode::Auto;
    /// Live mode: minimum seconds between redraws (~10 per second keeps the terminal cheap).
    double live_interval_seconds = 0.1;
    /// Log mode: a line needs both a new `log_fraction` milestone and this many seconds since the
    /// previous line, so a log gets at most 1/log_fraction lines however long or short the run.
    double log_interval_seconds = 10.0;
    double log_fraction = 0.05;
    /// Seconds on a monotonic clock; empty means std::chrono::steady_clock. Tests inject a fake.
    std::function<double()> clock;
};

/// Reports `label  step/total  percent  rate  ETA  extra` for a loop of `total` steps.
/// Not thread-safe: call it from the thread that runs the loop.
class Progress {
  public:
    /// @param total  number of steps; <= 0 means unknown (no percent or ETA is shown)
    /// @param out    must outlive this object
    Progress(std::string label, int64_t total, std::ostream& out, ProgressOptions options = {});
    Progress(std::string label, int64_t total);  ///< reports to std::cerr

    /// Reports that `step` steps are done; prints only when the throttle allows.
    void update(int64_t step, const std::string& extra = "");
    /// Prints the final line (last step, elapsed time, `extra`) and a newline. Idempotent.
    void finish(const std::string& extra = "");

    bool live() const { return live_; }
    int64_t lines_printed() const { return lines_printed_; }

  private:
    double now() const;
    std::string format_line(int64_t step, double elapsed, bool final,
                            const std::string& extra) const;
    void emit(const std::string& line, bool final);

    std::string label_;
    int64_t total_;
    std::ostream& out_;
    ProgressOptions options_;
    bool live_ = false;
    bool finished_ = false;
    double start_ = 0.0;
    double last_print_ = 0.0;
    int64_t last_step_ = 0;
    int64_t last_milestone_ = 0;  ///< log mode: milestone index of the previous line
    size_t last_width_ = 0;       ///< live mode: width of the previous line, to blank leftovers
    int64_t lines_printed_ = 0;
};

/// One Progress per named phase of a multi-phase loop (e.g. MCMC warm-up, then production),
/// reporting to std::cerr: a new phase name finishes the previous bar and starts the next.
class PhasedProgress {
  public:
    /// @param prefix  prepended to every phase name in the label (e.g. "data ")
    explicit PhasedProgress(std::string prefix = "");
    void update(const std::string& phase, int64_t step, int64_t total, const std::string& extra);
    /// Finishes the current bar, if any. Idempotent.
    void finish();

  private:
    std::string prefix_;
    std::string phase_;
    std::unique_ptr<Progress> bar_;
};

}  // namespace pita
