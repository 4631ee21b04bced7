#pragma once
// The output directory of one run, and the run.json record written into it before any compute
// (STYLE §5: version, git hash, resolved config, the seed actually used, device, libraries).
#include <cstdint>
#include <string>
#include <utility>

#include <nlohmann/json_fwd.hpp>

namespace pita {

/// A directory that exists on disk and holds one run's outputs. Cheap to copy; owns nothing but
/// its path. Files inside are written atomically, so a crash never leaves a half-written file.
class RunDirectory {
  public:
    /// Creates `dir` and its missing parents; an existing directory is reused.
    /// @throws IoError if `dir` exists but is not a directory, or cannot be created.
    static RunDirectory create(const std::string& dir);

    const std::string& root() const { return root_; }
    /// `root/name`; `name` may contain subdirectories (which are not created).
    std::string path(const std::string& name) const;
    /// Writes `run_info` (usually make_run_record's) to `root/run.json`, 2-space indented.
    /// @throws IoError if the file cannot be written.
    void write_run_json(const nlohmann::json& run_info) const;

  private:
    explicit RunDirectory(std::string root) : root_(std::move(root)) {}
    std::string root_;
};

/// The run record: {version, git, created (ISO-8601 UTC), hostname, command, seed, threads,
/// device, libraries: build_info(), config: resolved_config}.
nlohmann::json make_run_record(const nlohmann::json& resolved_config, uint64_t seed, int threads,
                               const std::string& device, const std::string& command_line);

/// The folder of one temperature's samples in a run (or reference) directory: "T" and the
/// temperature printed with {:g}, e.g. T1.5, T300, T408.24. Every writer (pita mcmc, run,
/// anneal, md) and reader (reference_directory) names them this way.
std::string temperature_dir(double temperature);

/// Writes `value` as 2-space indented JSON plus a newline, atomically.
/// @throws IoError if the file cannot be written.
void write_json(const std::string& path, const nlohmann::json& value);

/// Reads a JSON file (a run record, state.json, mcmc.json, ...).
/// @throws IoError naming the file if it cannot be read or is not valid JSON.
nlohmann::json read_json(const std::string& path);

}  // namespace pita
