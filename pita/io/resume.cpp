#include "pita/io/resume.h"

#include <algorithm>
#include <filesystem>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "pita/core/error.h"

namespace pita {

namespace {

/// Keys that pita resolves now and older run records lack, each with the value that does what
/// the older version did: a run started before the key existed resumes as long as the key keeps
/// that value. A new config key whose default changes nothing belongs here.
const nlohmann::json& keys_added_later() {
    static const nlohmann::json added = {
        {"/train/losses/energy_consistency", 0.0},  // session 11
        {"/train/losses/consistency_group", 8},
        {"/train/init_from", ""},
        {"/anneal/resample_end_sigma", 0.0},
        {"/anneal/tempering_weight", "energy"},  // session 12
        {"/anneal/l_form_only", false},          // session 15
    };
    return added;
}

}  // namespace

/// Dotted keys whose values differ between two resolved configs.
std::vector<std::string> changed_keys(const nlohmann::json& a, const nlohmann::json& b,
                                      const std::function<bool(const std::string&)>& may_change) {
    std::vector<std::string> out;
    const nlohmann::json fa = a.flatten();
    const nlohmann::json fb = b.flatten();
    auto dotted = [](std::string k) {
        std::replace(k.begin(), k.end(), '/', '.');
        return k.substr(1);
    };
    for (const auto& [k, v] : fa.items())
        if (!fb.contains(k) || fb[k] != v)
            if (!may_change(dotted(k))) out.push_back(dotted(k));
    const nlohmann::json& added = keys_added_later();
    for (const auto& [k, v] : fb.items()) {
        if (fa.contains(k) || may_change(dotted(k))) continue;
        if (added.contains(k) && added[k] == v) continue;  // absent before, and still a no-op
        out.push_back(dotted(k));
    }
    return out;
}

void require_resumable_config(const std::string& command, const std::string& resume_dir,
                              const nlohmann::json& started_with, const nlohmann::json& now,
                              const std::function<bool(const std::string&)>& may_change,
                              const std::string& may_change_text) {
    const std::vector<std::string> changed = changed_keys(started_with, now, may_change);
    PITA_CHECK(changed.empty(),
               "[{}] --resume {}: the config differs from the one the run started with in: {}. "
               "Resume with the same config (only {} may change).",
               command, resume_dir, fmt::join(changed, ", "), may_change_text);
}

nlohmann::json read_resumable_record(const RunDirectory& dir, const std::string& command,
                                     const std::string& resume_dir, const nlohmann::json& now,
                                     const std::function<bool(const std::string&)>& may_change,
                                     const std::string& may_change_text) {
    PITA_CHECK_AS(IoError, std::filesystem::exists(dir.path("run.json")),
                  "[{}] --resume {}: no run.json there. Resume the directory of a `pita {}`.",
                  command, resume_dir, command);
    nlohmann::json record = read_json(dir.path("run.json"));
    // Another command's directory differs in every key; say what it is instead of listing them.
    const std::string written_by = record.value("command", std::string("an unknown command"));
    PITA_CHECK(written_by == command,
               "[{}] --resume {}: that directory was written by `pita {}`, not `pita {}`. Resume "
               "it with `pita {} CONFIG --resume {}`, or start a new `pita {}` run.",
               command, resume_dir, written_by, command, written_by, resume_dir, command);
    require_resumable_config(command, resume_dir, record["config"], now, may_change,
                             may_change_text);
    return record;
}

std::vector<std::string> resume_overrides(const std::string& command,
                                          std::vector<std::string> overrides,
                                          const std::string& resume_dir) {
    namespace fs = std::filesystem;
    const std::string prefix = "output_dir=";
    for (const std::string& o : overrides) {
        if (o.rfind(prefix, 0) != 0) continue;
        const std::string other = o.substr(prefix.size());
        std::error_code ec;
        const bool same = fs::exists(other, ec) && fs::equivalent(other, resume_dir, ec);
        PITA_CHECK(same,
                   "[{}] --resume {} with --out {}: a resumed run continues in its own directory; "
                   "expected no --out (or the same directory). Drop --out, or copy the run "
                   "directory to {} first and resume that.",
                   command, resume_dir, other, other);
    }
    overrides.push_back(prefix + resume_dir);
    return overrides;
}

RunDirectory open_run_directory(const std::string& output_dir, const std::string& resume_dir) {
    return RunDirectory::open(
        output_dir, resume_dir.empty() ? RunDirectoryMode::Fresh : RunDirectoryMode::Resume);
}

}  // namespace pita
