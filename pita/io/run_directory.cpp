#include "pita/io/run_directory.h"

#include <unistd.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "pita/core/error.h"
#include "pita/core/version.h"
#include "pita/io/atomic_file.h"

namespace pita {
namespace {

std::string utc_now_iso8601() {
    const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm utc{};
    gmtime_r(&now, &utc);  // gmtime() shares a static buffer across threads
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &utc);
    return buf;
}

std::string hostname() {
    char buf[256] = {};
    if (gethostname(buf, sizeof buf - 1) != 0) return "unknown";
    return buf;
}

}  // namespace

RunDirectory RunDirectory::create(const std::string& dir) {
    namespace fs = std::filesystem;
    PITA_CHECK_AS(IoError, !dir.empty(),
                  "[run] empty run directory: got ''; expected a path. Pass --out DIR.");
    std::error_code ec;
    if (fs::exists(dir, ec) && !fs::is_directory(dir, ec)) {
        throw IoError(
            fmt::format("[run] cannot use '{}' as run directory: it exists and is not a "
                        "directory. Choose another output path or remove the file.",
                        dir));
    }
    fs::create_directories(dir, ec);
    if (ec) {
        throw IoError(
            fmt::format("[run] cannot create run directory '{}': {}. Check that no parent "
                        "is a file and that you may write there.",
                        dir, ec.message()));
    }
    return RunDirectory(dir);
}

std::string RunDirectory::path(const std::string& name) const {
    return (std::filesystem::path(root_) / name).string();
}

void RunDirectory::write_run_json(const nlohmann::json& run_info) const {
    write_json(path("run.json"), run_info);
}

nlohmann::json make_run_record(const nlohmann::json& resolved_config, uint64_t seed, int threads,
                               const std::string& device, const std::string& command_line) {
    nlohmann::json record;
    record["version"] = version();
    record["git"] = git_hash();
    record["created"] = utc_now_iso8601();
    record["hostname"] = hostname();
    record["command"] = command_line;
    record["seed"] = seed;
    record["threads"] = threads;
    record["device"] = device;
    record["libraries"] = build_info();
    record["config"] = resolved_config;
    return record;
}

void write_json(const std::string& path, const nlohmann::json& value) {
    // Replace invalid UTF-8 (e.g. from a command line) rather than throw and lose the record.
    const std::string text =
        value.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    write_text_atomically(path, text);
}

nlohmann::json read_json(const std::string& path) {
    std::ifstream in(path);
    PITA_CHECK_AS(IoError, in.good(), "[io] cannot read '{}'. Does it exist?", path);
    try {
        return nlohmann::json::parse(in);
    } catch (const nlohmann::json::exception& e) {
        throw IoError(fmt::format("[io] '{}' is not valid JSON ({}). Was the file truncated?", path,
                                  e.what()));
    }
}

std::string temperature_dir(double temperature) { return fmt::format("T{:g}", temperature); }

}  // namespace pita
