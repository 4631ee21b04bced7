#include "pita/pipeline/run_state.h"

#include <filesystem>

#include "pita/io/run_directory.h"

namespace pita {

bool RunState::any_done_with_prefix(const std::string& prefix) const {
    for (const std::string& p : done)
        if (p.rfind(prefix, 0) == 0) return true;
    return false;
}

void RunState::add_seconds(const std::string& phase, double s) {
    seconds[phase] = seconds.value(phase, 0.0) + s;
}

void RunState::add_evaluations(const std::string& phase, int64_t n) {
    evaluations[phase] = evaluations.value(phase, int64_t{0}) + n;
}

int64_t RunState::total_evaluations() const {
    int64_t total = 0;
    for (const auto& [phase, n] : evaluations.items()) total += n.get<int64_t>();
    return total;
}

void RunState::save(const RunDirectory& dir) const {
    write_json(dir.path("state.json"),
               {{"phases_done", done}, {"energy_evaluations", evaluations}, {"seconds", seconds}});
}

RunState RunState::load(const RunDirectory& dir) {
    RunState s;
    const std::string path = dir.path("state.json");
    if (!std::filesystem::exists(path)) return s;
    const nlohmann::json j = read_json(path);
    s.done = j.at("phases_done").get<std::set<std::string>>();
    s.evaluations = j.at("energy_evaluations");
    s.seconds = j.at("seconds");
    return s;
}

}  // namespace pita
