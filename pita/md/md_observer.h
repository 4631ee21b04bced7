#pragma once
// How an MD run reports its progress: the library never prints; a caller that wants progress
// bars (pita md) or logs overrides what it needs. Every method defaults to doing nothing.
#include <cstdint>
#include <string>

namespace pita {

class MdObserver {
  public:
    virtual ~MdObserver() = default;
    /// A run continues from its checkpoint with `frames_done` of `n_frames` frames made.
    virtual void resumed(int64_t /*frames_done*/, int64_t /*n_frames*/) {}
    /// A phase begins: "warmup" (`total` steps) or "production" (`total` frames).
    virtual void phase_started(const std::string& /*phase*/, int64_t /*total*/) {}
    /// `done` of the phase's `total` steps (warm-up) or frames (production) are done; `text`
    /// summarises the last frame (production: mean T_kin, and the round trips of a ladder).
    virtual void progress(const std::string& /*phase*/, int64_t /*done*/, int64_t /*total*/,
                          const std::string& /*text*/) {}
    /// The phase is over (called once per phase_started).
    virtual void phase_finished(const std::string& /*phase*/) {}
};

}  // namespace pita
