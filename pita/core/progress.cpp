#include "pita/core/progress.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <iostream>
#include <utility>

#include <fmt/format.h>

namespace pita {
namespace {

bool is_terminal(const std::ostream& out) {
    if (&out == &std::cerr || &out == &std::clog) return isatty(STDERR_FILENO) != 0;
    if (&out == &std::cout) return isatty(STDOUT_FILENO) != 0;
    return false;  // a file or string stream: never emit '\r'
}

std::string format_duration(double seconds) {
    if (!std::isfinite(seconds) || seconds < 0) return "?";
    const auto s = static_cast<int64_t>(std::llround(seconds));
    if (s >= 3600) return fmt::format("{}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60);
    return fmt::format("{}:{:02}", s / 60, s % 60);
}

}  // namespace

Progress::Progress(std::string label, int64_t total, std::ostream& out, ProgressOptions options)
    : label_(std::move(label)), total_(total), out_(out), options_(std::move(options)) {
    live_ = options_.mode == ProgressMode::Live ||
            (options_.mode == ProgressMode::Auto && is_terminal(out_));
    start_ = last_print_ = now();
}

Progress::Progress(std::string label, int64_t total)
    : Progress(std::move(label), total, std::cerr) {}

double Progress::now() const {
    if (options_.clock) return options_.clock();
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

void Progress::update(int64_t step, const std::string& extra) {
    if (finished_) return;
    last_step_ = step;
    const double t = now();
    const double since_last = t - last_print_;
    if (live_) {
        if (since_last < options_.live_interval_seconds) return;
    } else {
        // Unknown totals have no milestones; fall back to the time gate alone.
        int64_t milestone = last_milestone_ + 1;
        if (total_ > 0 && options_.log_fraction > 0) {
            milestone = static_cast<int64_t>(
                std::floor(static_cast<double>(step) / (options_.log_fraction * total_)));
        }
        if (milestone <= last_milestone_ || since_last < options_.log_interval_seconds) return;
        last_milestone_ = milestone;
    }
    last_print_ = t;
    emit(format_line(step, t - start_, false, extra), false);
}

void Progress::finish(const std::string& extra) {
    if (finished_) return;
    finished_ = true;
    const int64_t step = total_ > 0 ? std::max(last_step_, total_) : last_step_;
    emit(format_line(step, now() - start_, true, extra), true);
}

std::string Progress::format_line(int64_t step, double elapsed, bool final,
                                  const std::string& extra) const {
    const double rate = elapsed > 0 ? static_cast<double>(step) / elapsed : 0.0;
    std::string line = label_;
    if (total_ > 0) {
        line += fmt::format("  {}/{}  {:5.1f}%", step, total_, 100.0 * step / total_);
    } else {
        line += fmt::format("  {}", step);
    }
    // Slow loops (minutes per step) read better as s/it than as 0.00123 it/s.
    if (rate >= 100)
        line += fmt::format("  {:.0f} it/s", rate);
    else if (rate >= 1 || rate == 0)
        line += fmt::format("  {:.2f} it/s", rate);
    else
        line += fmt::format("  {:.1f} s/it", 1.0 / rate);
    if (final) {
        line += "  elapsed " + format_duration(elapsed);
    } else if (total_ > 0 && rate > 0) {
        line += "  ETA " + format_duration(static_cast<double>(total_ - step) / rate);
    }
    if (!extra.empty()) line += "  " + extra;
    return line;
}

void Progress::emit(const std::string& line, bool final) {
    if (live_) {
        // Blank the tail of a longer previous line instead of clearing with ANSI codes, which
        // some terminals (and CI log viewers) show literally.
        const size_t pad = last_width_ > line.size() ? last_width_ - line.size() : 0;
        out_ << '\r' << line << std::string(pad, ' ');
        last_width_ = line.size();
        if (final) out_ << '\n';
    } else {
        out_ << line << '\n';
    }
    out_.flush();
    ++lines_printed_;
}

PhasedProgress::PhasedProgress(std::string prefix) : prefix_(std::move(prefix)) {}

void PhasedProgress::update(const std::string& phase, int64_t step, int64_t total,
                            const std::string& extra) {
    if (!bar_ || phase != phase_) {
        finish();
        bar_ = std::make_unique<Progress>(prefix_ + phase, total);
        phase_ = phase;
    }
    bar_->update(step, extra);
}

void PhasedProgress::finish() {
    if (bar_) bar_->finish();
}

}  // namespace pita
