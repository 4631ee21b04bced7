#include "pita/config/config.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>
#include <nlohmann/json.hpp>

#include "pita/core/error.h"

namespace pita {

namespace detail {

struct NodeRef {
    YAML::Node node;
};

// What has been read and what went wrong, shared by every ConfigNode of one document.
struct ConfigState {
    std::string source;
    YAML::Node root;
    std::map<std::string, std::set<std::string>> read_keys;  // map path -> keys read there
    std::vector<std::string> errors;
    nlohmann::json resolved = nlohmann::json::object();

    void record(const std::string& path, const std::string& key, nlohmann::json value) {
        read_keys[path].insert(key);
        nlohmann::json* at = &resolved;
        if (!path.empty()) {
            std::stringstream ss(path);
            std::string part;
            while (std::getline(ss, part, '.')) at = &(*at)[part];
        }
        (*at)[key] = std::move(value);
    }
};

}  // namespace detail

namespace {

std::string join_path(const std::string& path, const std::string& key) {
    return path.empty() ? key : path + "." + key;
}

std::string scalar_text(const YAML::Node& n) {
    if (n.IsScalar()) return n.Scalar();
    if (n.IsSequence()) return "a list";
    if (n.IsMap()) return "a map";
    return "null";
}

// Parses a scalar strictly: yaml-cpp would accept "1.5" as int 1 via stream extraction in some
// versions; we want "expected an integer" instead.
bool parse_int(const std::string& s, int64_t& out) {
    if (s.empty()) return false;
    std::size_t pos = 0;
    try {
        long long v = std::stoll(s, &pos, 0);
        if (pos != s.size()) return false;
        out = v;
        return true;
    } catch (const std::exception&) {
        return false;
    }
}

bool parse_double(const std::string& s, double& out) {
    if (s.empty()) return false;
    std::string lower = s;
    std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
    if (lower == ".inf" || lower == "inf") {
        out = HUGE_VAL;
        return true;
    }
    if (lower == "-.inf" || lower == "-inf") {
        out = -HUGE_VAL;
        return true;
    }
    if (lower == ".nan" || lower == "nan") {
        out = NAN;
        return true;
    }
    std::size_t pos = 0;
    try {
        out = std::stod(s, &pos);
        return pos == s.size();
    } catch (const std::exception&) {
        return false;
    }
}

bool parse_bool(const std::string& s, bool& out) {
    static const std::set<std::string> yes{"true", "True", "TRUE", "yes", "on"};
    static const std::set<std::string> no{"false", "False", "FALSE", "no", "off"};
    if (yes.count(s)) {
        out = true;
        return true;
    }
    if (no.count(s)) {
        out = false;
        return true;
    }
    return false;
}

void apply_override(YAML::Node root, const std::string& text) {
    const auto eq = text.find('=');
    PITA_CHECK(eq != std::string::npos && eq > 0,
               "[config] malformed override: got '{}'; expected key.sub=value "
               "(e.g. mcmc.n_steps=2000).",
               text);
    const std::string key = text.substr(0, eq);
    const std::string value = text.substr(eq + 1);
    std::vector<std::string> parts;
    std::stringstream ss(key);
    std::string part;
    while (std::getline(ss, part, '.')) {
        PITA_CHECK(!part.empty(),
                   "[config] malformed override key: got '{}'; expected dot-separated "
                   "names like mcmc.n_steps.",
                   key);
        parts.push_back(part);
    }
    YAML::Node parsed;
    try {
        parsed = YAML::Load(value);
    } catch (const YAML::Exception& e) {
        throw ConfigError(
            fmt::format("[config] override '{}': value is not valid YAML: {}.", text, e.msg));
    }
    // Walk by reassignment: yaml-cpp nodes are handles, so `node = node[k]` would alias.
    std::vector<YAML::Node> chain{root};
    for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
        YAML::Node next = chain.back()[parts[i]];
        PITA_CHECK(!next.IsDefined() || next.IsNull() || next.IsMap(),
                   "[config] override '{}': '{}' is a value, not a section.", text, parts[i]);
        if (!next.IsMap()) chain.back()[parts[i]] = YAML::Node(YAML::NodeType::Map);
        chain.push_back(chain.back()[parts[i]]);
    }
    chain.back()[parts.back()] = parsed;
}

}  // namespace

std::size_t edit_distance(const std::string& a, const std::string& b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diag = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t up = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diag = up;
        }
    }
    return row[b.size()];
}

std::string nearest(const std::string& word, const std::vector<std::string>& candidates) {
    std::string best;
    std::size_t best_d = std::string::npos;
    for (const auto& c : candidates) {
        const std::size_t d = edit_distance(word, c);
        if (d < best_d) {
            best_d = d;
            best = c;
        }
    }
    // A suggestion only when it is plausibly a typo: at most a third of the word changed.
    if (best.empty() || best_d > std::max<std::size_t>(2, word.size() / 3)) return "";
    return best;
}

// ---------------------------------------------------------------------------------------------
ConfigNode::ConfigNode(std::shared_ptr<detail::ConfigState> state,
                       std::shared_ptr<detail::NodeRef> node, std::string path)
    : state_(std::move(state)), node_(std::move(node)), path_(std::move(path)) {}

std::string ConfigNode::key_path(const std::string& key) const { return join_path(path_, key); }

bool ConfigNode::has(const std::string& key) const {
    return node_->node.IsMap() && node_->node[key].IsDefined() && !node_->node[key].IsNull();
}

void ConfigNode::error(const std::string& key, const std::string& message) const {
    state_->errors.push_back(fmt::format("{}: {}", key_path(key), message));
}

template <typename T, typename Parse>
T ConfigNode::get_scalar(const std::string& key, T fallback, Parse parse,
                         const char* expected) const {
    T value = fallback;
    if (has(key)) {
        const YAML::Node n = node_->node[key];
        if (!n.IsScalar() || !parse(n.Scalar(), value)) {
            error(key, fmt::format("wrong type: got '{}'; expected {}", scalar_text(n), expected));
            value = fallback;
        }
    }
    state_->record(path_, key, value);
    return value;
}

int64_t ConfigNode::get_int(const std::string& key, int64_t fallback) const {
    return get_scalar(key, fallback, parse_int, "an integer");
}

double ConfigNode::get_double(const std::string& key, double fallback) const {
    return get_scalar(key, fallback, parse_double, "a number");
}

bool ConfigNode::get_bool(const std::string& key, bool fallback) const {
    return get_scalar(key, fallback, parse_bool, "true or false");
}

std::string ConfigNode::get_string(const std::string& key, const std::string& fallback) const {
    std::string value = fallback;
    if (has(key)) {
        const YAML::Node n = node_->node[key];
        if (!n.IsScalar()) {
            error(key, fmt::format("wrong type: got {}; expected a string", scalar_text(n)));
        } else {
            value = n.Scalar();
        }
    }
    state_->record(path_, key, value);
    return value;
}

std::string ConfigNode::get_choice(const std::string& key, const std::string& fallback,
                                   const std::vector<std::string>& choices) const {
    std::string value = get_string(key, fallback);
    if (std::find(choices.begin(), choices.end(), value) == choices.end()) {
        const std::string near = nearest(value, choices);
        error(key, fmt::format("unknown value: got '{}'; expected one of {}.{}", value,
                               fmt::join(choices, ", "),
                               near.empty() ? "" : fmt::format(" Did you mean '{}'?", near)));
        value = fallback;
    }
    return value;
}

std::vector<double> ConfigNode::get_double_list(const std::string& key,
                                                const std::vector<double>& fallback) const {
    std::vector<double> value = fallback;
    if (has(key)) {
        const YAML::Node n = node_->node[key];
        bool ok = n.IsSequence();
        std::vector<double> parsed;
        if (ok) {
            for (const auto& item : n) {
                double v = 0;
                if (!item.IsScalar() || !parse_double(item.Scalar(), v)) {
                    ok = false;
                    break;
                }
                parsed.push_back(v);
            }
        }
        if (ok) {
            value = parsed;
        } else {
            error(key,
                  fmt::format("wrong type: got {}; expected a list of numbers like [4.0, 2.0, 1.0]",
                              n.IsScalar() ? "'" + n.Scalar() + "'" : scalar_text(n)));
        }
    }
    state_->record(path_, key, value);
    return value;
}

ConfigNode ConfigNode::child(const std::string& key) const {
    auto ref = std::make_shared<detail::NodeRef>();
    state_->read_keys[path_].insert(key);
    if (has(key)) {
        const YAML::Node n = node_->node[key];
        if (n.IsMap()) {
            ref->node = n;
        } else {
            error(key, fmt::format("wrong type: got {}; expected a section (a map of keys)",
                                   n.IsScalar() ? "'" + n.Scalar() + "'" : scalar_text(n)));
        }
    }
    if (!ref->node.IsMap()) ref->node = YAML::Node(YAML::NodeType::Map);
    // Make the section visible in resolved() even if it ends up with only defaults.
    state_->record(path_, key, nlohmann::json::object());
    return ConfigNode(state_, ref, key_path(key));
}

// ---------------------------------------------------------------------------------------------
Config::Config(std::shared_ptr<detail::ConfigState> state) : state_(std::move(state)) {}

namespace {
void prepare(detail::ConfigState& state, const std::vector<std::string>& overrides) {
    if (!state.root.IsDefined() || state.root.IsNull()) {
        state.root = YAML::Node(YAML::NodeType::Map);
    }
    PITA_CHECK(state.root.IsMap(),
               "[config] {}: the top level must be a map of sections (key: value); got {}.",
               state.source, scalar_text(state.root));
    for (const auto& o : overrides) apply_override(state.root, o);
}
}  // namespace

Config Config::from_string(const std::string& yaml, const std::vector<std::string>& overrides) {
    auto state = std::make_shared<detail::ConfigState>();
    state->source = "<string>";
    try {
        state->root = YAML::Load(yaml);
    } catch (const YAML::Exception& e) {
        throw ConfigError(fmt::format("[config] <string> is not valid YAML: {} (line {}).", e.msg,
                                      e.mark.line + 1));
    }
    prepare(*state, overrides);
    return Config(state);
}

Config Config::load_file(const std::string& path, const std::vector<std::string>& overrides) {
    std::ifstream in(path);
    PITA_CHECK_AS(IoError, in.good(),
                  "[config] cannot open config file '{}': {}. Check the path (configs live in "
                  "configs/).",
                  path, std::strerror(errno));
    std::stringstream buffer;
    buffer << in.rdbuf();
    auto state = std::make_shared<detail::ConfigState>();
    state->source = path;
    try {
        state->root = YAML::Load(buffer.str());
    } catch (const YAML::Exception& e) {
        throw ConfigError(fmt::format("[config] '{}' is not valid YAML: {} (line {}, column {}).",
                                      path, e.msg, e.mark.line + 1, e.mark.column + 1));
    }
    prepare(*state, overrides);
    return Config(state);
}

ConfigNode Config::root() const {
    auto ref = std::make_shared<detail::NodeRef>();
    ref->node = state_->root;
    return ConfigNode(state_, ref, "");
}

const std::string& Config::source() const { return state_->source; }

namespace {
void collect_unknown(const YAML::Node& node, const std::string& path,
                     const std::map<std::string, std::set<std::string>>& read,
                     std::vector<std::string>& errors) {
    if (!node.IsMap()) return;
    const auto it = read.find(path);
    const std::set<std::string> empty;
    const std::set<std::string>& known = it == read.end() ? empty : it->second;
    const std::vector<std::string> candidates(known.begin(), known.end());
    for (const auto& kv : node) {
        const std::string key = kv.first.as<std::string>();
        if (known.count(key)) {
            collect_unknown(kv.second, join_path(path, key), read, errors);
            continue;
        }
        const std::string near = nearest(key, candidates);
        errors.push_back(fmt::format(
            "{}: unknown key.{}", join_path(path, key),
            near.empty()
                ? fmt::format(" Valid keys here: {}.",
                              candidates.empty() ? "(none)"
                                                 : fmt::format("{}", fmt::join(candidates, ", ")))
                : fmt::format(" Did you mean '{}'?", join_path(path, near))));
    }
}
}  // namespace

void Config::finish() const {
    std::vector<std::string> problems = state_->errors;
    collect_unknown(state_->root, "", state_->read_keys, problems);
    if (problems.empty()) return;
    std::string message = fmt::format("[config] {} problem{} in {}:", problems.size(),
                                      problems.size() == 1 ? "" : "s", state_->source);
    for (const auto& p : problems) message += "\n  - " + p;
    throw ConfigError(message);
}

nlohmann::json Config::resolved() const { return state_->resolved; }

}  // namespace pita
