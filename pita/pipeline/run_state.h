#pragma once
// state.json of a progressive run: the phases completed so far ("data", "train<i>",
// "anneal<i>"), the target-energy evaluations by phase and the wall seconds by phase, rewritten
// atomically after each phase. A resumed run reads it to skip what is done; the totals are what
// metrics.json reports.
#include <cstdint>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

namespace pita {

class RunDirectory;

struct RunState {
    std::set<std::string> done;
    /// Sampler evaluations by phase: data, buffer (energies and forces of each new buffer),
    /// correction, relaxation. The metrics' own evaluations are never counted here.
    nlohmann::json evaluations = {{"data", 0}, {"buffer", 0}, {"correction", 0}, {"relaxation", 0}};
    nlohmann::json seconds = nlohmann::json::object();

    bool is_done(const std::string& phase) const { return done.count(phase) > 0; }
    /// True when any phase whose name starts with `prefix` is done.
    bool any_done_with_prefix(const std::string& prefix) const;
    void add_seconds(const std::string& phase, double s);
    void add_evaluations(const std::string& phase, int64_t n);
    /// The sum over phases.
    int64_t total_evaluations() const;

    /// Writes `dir`/state.json atomically.
    void save(const RunDirectory& dir) const;
    /// Reads `dir`/state.json; an empty state when there is none (a fresh run).
    /// @throws IoError when the file exists but cannot be read
    static RunState load(const RunDirectory& dir);
};

}  // namespace pita
