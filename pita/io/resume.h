#pragma once
// Resuming a run: which directory it continues in, and the check that the config it resumes with
// is the one it started with (except the keys the pipeline allows to change, e.g. threads).
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "pita/io/run_directory.h"

namespace pita {

/// Dotted keys whose values differ between two resolved configs, except those `may_change`
/// accepts (what a resumed run may change).
std::vector<std::string> changed_keys(const nlohmann::json& a, const nlohmann::json& b,
                                      const std::function<bool(const std::string&)>& may_change);

/// The check every `--resume` makes: the resolved config equals the one the run started with,
/// except for keys `may_change` accepts (listed in `may_change_text` for the message).
/// @throws ConfigError naming the command, the directory and the keys that differ
void require_resumable_config(const std::string& command, const std::string& resume_dir,
                              const nlohmann::json& started_with, const nlohmann::json& now,
                              const std::function<bool(const std::string&)>& may_change,
                              const std::string& may_change_text);

/// `pita <command> --resume DIR` for commands whose config lives in run.json (run, md): reads
/// the record, which must exist and whose config must pass require_resumable_config against
/// `now`. The caller appends this session's entry to record["resumed"] and rewrites it once its
/// own checks pass.
/// @throws IoError without run.json; ConfigError as require_resumable_config
nlohmann::json read_resumable_record(const RunDirectory& dir, const std::string& command,
                                     const std::string& resume_dir, const nlohmann::json& now,
                                     const std::function<bool(const std::string&)>& may_change,
                                     const std::string& may_change_text);

/// The overrides of `pita <command> --resume DIR`: `output_dir=DIR` appended, so the run continues
/// where it started. An --out or output_dir= override naming another directory is refused (a
/// resumed run cannot move).
/// @throws ConfigError naming both directories
std::vector<std::string> resume_overrides(const std::string& command,
                                          std::vector<std::string> overrides,
                                          const std::string& resume_dir);

/// How a command opens its output directory: Resume when `resume_dir` is given, else Fresh.
RunDirectory open_run_directory(const std::string& output_dir, const std::string& resume_dir);

}  // namespace pita
