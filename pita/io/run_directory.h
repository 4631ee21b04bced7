#pragma once
// The output directory of one run, and the run.json record written into it before any compute
// (STYLE §5: version, git hash, resolved config, the seed actually used, device, libraries).
#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include <nlohmann/json_fwd.hpp>

namespace pita {

/// How a command uses its output directory.
enum class RunDirectoryMode {
    Fresh,   ///< a new run: the directory must not exist yet or be empty
    Resume,  ///< `--resume`: the directory of an earlier run, continued in place
};

/// A directory that exists on disk and holds one run's outputs, owned by this process for as long
/// as any copy of the object lives: an exclusive advisory lock (flock on `.pita.lock`, which also
/// records the owner's PID) keeps a second pita process from writing into it at the same time.
/// Files inside are written atomically, so a crash never leaves a half-written file; temporary
/// files that a killed run left behind are removed when the directory is opened.
class RunDirectory {
  public:
    /// Creates `dir` and its missing parents (Fresh) or opens an existing run (Resume), takes the
    /// lock and removes stale `*.<pid>.tmp` files.
    /// @throws IoError if `dir` exists but is not a directory or cannot be created; if another
    ///         process holds it (naming that PID); if a Fresh directory already holds files (the
    ///         hint names --resume); if a Resume directory does not exist.
    static RunDirectory open(const std::string& dir, RunDirectoryMode mode);
    /// open(dir, Fresh).
    static RunDirectory create(const std::string& dir) {
        return open(dir, RunDirectoryMode::Fresh);
    }

    const std::string& root() const { return root_; }
    /// `root/name`; `name` may contain subdirectories (which are not created).
    std::string path(const std::string& name) const;
    /// Writes `run_info` (usually make_run_record's) to `root/run.json`, 2-space indented.
    /// @throws IoError if the file cannot be written.
    void write_run_json(const nlohmann::json& run_info) const;
    /// Stale temporary files removed when the directory was opened.
    int64_t removed_temporary_files() const { return removed_tmp_; }

    /// The name of the lock file inside every run directory.
    static constexpr const char* kLockFile = ".pita.lock";

  private:
    struct Lock;
    RunDirectory(std::string root, std::shared_ptr<Lock> lock, int64_t removed_tmp)
        : root_(std::move(root)), lock_(std::move(lock)), removed_tmp_(removed_tmp) {}
    std::string root_;
    std::shared_ptr<Lock> lock_;
    int64_t removed_tmp_ = 0;
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
