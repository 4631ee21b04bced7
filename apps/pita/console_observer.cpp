#include "console_observer.h"

#include <iostream>

#include <fmt/format.h>

namespace pita::cli {

ConsoleObserver::~ConsoleObserver() { finish_bar(""); }

void ConsoleObserver::progress(const std::string& phase, int64_t done, int64_t total,
                               const std::string& status) {
    if (phase != phase_ || !bar_) {
        finish_bar("");
        phase_ = phase;
        bar_ = std::make_unique<Progress>(phase, total);
    }
    bar_->update(done, status);
}

void ConsoleObserver::phase_finished(const std::string& phase, const std::string& summary) {
    if (phase == phase_) finish_bar(summary);
}

void ConsoleObserver::message(const std::string& line) {
    finish_bar("");
    fmt::print("{}\n", line);
    std::fflush(stdout);
}

void ConsoleObserver::warning(const std::string& line) {
    finish_bar("");
    std::cerr << "warning: " << line << '\n';
}

void ConsoleObserver::finish_bar(const std::string& summary) {
    if (bar_) bar_->finish(summary);
    bar_.reset();
    phase_.clear();
}

}  // namespace pita::cli
