#pragma once
// The command-line rendering of a pipeline's reports (pita/core/run_observer.h): one progress bar
// per phase on standard error (a new phase finishes the previous bar), result lines on standard
// output, warnings on standard error.
#include <memory>
#include <string>

#include "pita/core/progress.h"
#include "pita/core/run_observer.h"

namespace pita::cli {

class ConsoleObserver : public RunObserver {
  public:
    ConsoleObserver() = default;
    ~ConsoleObserver() override;
    void progress(const std::string& phase, int64_t done, int64_t total,
                  const std::string& status) override;
    void phase_finished(const std::string& phase, const std::string& summary) override;
    void message(const std::string& line) override;
    void warning(const std::string& line) override;

  private:
    void finish_bar(const std::string& summary);
    std::string phase_;
    std::unique_ptr<Progress> bar_;
};

}  // namespace pita::cli
