#pragma once
// How a long pipeline (a progressive run, a training loop, MD) tells its caller what it is doing,
// without printing: the command-line tool renders the reports as progress bars and lines, a
// Python caller forwards them to a callback, a test records them. Every method has a no-op
// default, so an observer overrides only what it shows.
#include <cstdint>
#include <string>

namespace pita {

class RunObserver {
  public:
    virtual ~RunObserver() = default;
    /// `done` of `total` steps of the phase named `phase` ("data warmup", "train T=4",
    /// "anneal T=4→3", ...); `total` <= 0 when unknown; `status` is a short summary for the line.
    /// Called often (every few steps): keep it cheap.
    virtual void progress(const std::string& /*phase*/, int64_t /*done*/, int64_t /*total*/,
                          const std::string& /*status*/) {}
    /// The phase named `phase` ended; `summary` says how (final losses, minimum ESS, ...).
    virtual void phase_finished(const std::string& /*phase*/, const std::string& /*summary*/) {}
    /// A result line meant for the user ("data: 2560 MALA samples at T = 4 ...").
    virtual void message(const std::string& /*line*/) {}
    /// A note about something the user may want to fix (a skipped metric, a fallback taken).
    virtual void warning(const std::string& /*line*/) {}
};

}  // namespace pita
