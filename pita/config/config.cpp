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
    std::set<std::string> ignored;                           // paths accepted without reading
    std::vector<std::string> errors;
    nlohmann::json resolved = nlohmann::json::object();

    /// The resolved-config object of the section at dotted `path` ("" = the root).
    nlohmann::json& section_at(const std::string& path) {
        nlohmann::json* at = &resolved;
        std::stringstream ss(path);
        std::string part;
        while (!path.empty() && std::getline(ss, part, '.')) at = &(*at)[part];
        return *at;
    }
    void record(const std::string& path, const std::string& key, nlohmann::json value) {
        read_keys[path].insert(key);
        section_at(path)[key] = std::move(value);
    }
    /// Makes section `key` visible in resolved() even if it ends up with only defaults, without
    /// touching what was already read there: a section is often opened more than once (the
    /// backbone and sigma_data both read `model`), and resetting it dropped the first reader's
    /// keys from run.json and from the resume check (issue 12, findings 4 and 5).
    void record_section(const std::string& path, const std::string& key) {
        read_keys[path].insert(key);
        nlohmann::json& at = section_at(path);
        if (!at.contains(key)) at[key] = nlohmann::json::object();
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
        long long v = std::stoll(s, &pos, 10);
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
        // `key=` is the empty string (e.g. metrics.reference= to skip the reference), not YAML's
        // null: a null would silently fall back to the default, while an empty string is refused
        // by every key that expects a number or a list.
        parsed = value.find_first_not_of(" \t") == std::string::npos ? YAML::Node(std::string())
                                                                     : YAML::Load(value);
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

bool Bounds::contains(double v) const {
    const bool above_lo = lo_open ? v > lo : v >= lo;
    const bool below_hi = hi_open ? v < hi : v <= hi;
    return above_lo && below_hi;
}

std::string Bounds::describe() const {
    const bool has_lo = std::isfinite(lo);
    const bool has_hi = std::isfinite(hi);
    if (has_lo && has_hi && !lo_open && !hi_open) return fmt::format("in [{:g}, {:g}]", lo, hi);
    const std::string lower = fmt::format("{} {:g}", lo_open ? ">" : ">=", lo);
    const std::string upper = fmt::format("{} {:g}", hi_open ? "<" : "<=", hi);
    if (has_lo && has_hi) return lower + " and " + upper;
    if (has_lo) return lower;
    if (has_hi) return upper;
    return "(any finite value)";
}

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

bool ConfigNode::report_missing_value(const std::string& key) const {
    if (!node_->node.IsMap()) return false;
    const YAML::Node n = node_->node[key];
    if (!n.IsDefined() || !n.IsNull()) return false;
    // `key:` in a file or `key=` on the command line: a value was meant but none given. Taking
    // the default here would run something the user did not ask for.
    error(key, "no value given. Give one, or delete the key to use the default.");
    return true;
}

void ConfigNode::error(const std::string& key, const std::string& message) const {
    state_->errors.push_back(fmt::format("{}: {}", key_path(key), message));
}

std::size_t ConfigNode::error_count() const { return state_->errors.size(); }

void ConfigNode::check_bounds(const std::string& key, double value, const Bounds& bounds,
                              const char* what) const {
    const bool unbounded = !std::isfinite(bounds.lo) && !std::isfinite(bounds.hi);
    const std::string want = unbounded ? what : fmt::format("{} {}", what, bounds.describe());
    if (!std::isfinite(value)) {
        error(key, fmt::format("not a finite number: got {}; expected {}.", value, want));
    } else if (!bounds.contains(value)) {
        error(key, fmt::format("out of range: got {:g}; expected {}.", value, want));
    }
}

template <typename T, typename Parse>
T ConfigNode::get_scalar(const std::string& key, T fallback, Parse parse,
                         const char* expected) const {
    T value = fallback;
    if (!report_missing_value(key) && has(key)) {
        const YAML::Node n = node_->node[key];
        if (!n.IsScalar() || !parse(n.Scalar(), value)) {
            error(key, fmt::format("wrong type: got '{}'; expected {}", scalar_text(n), expected));
            value = fallback;
        }
    }
    state_->record(path_, key, value);
    return value;
}

int64_t ConfigNode::get_int(const std::string& key, int64_t fallback, const Bounds& bounds) const {
    const std::size_t errors_before = state_->errors.size();
    const int64_t value = get_scalar(key, fallback, parse_int, "an integer");
    if (state_->errors.size() == errors_before && has(key))
        check_bounds(key, static_cast<double>(value), bounds, "an integer");
    // After any error the default goes on, so that whatever is built from the section before
    // Config::finish() reports the problem never sees an invalid value.
    return state_->errors.size() == errors_before ? value : fallback;
}

double ConfigNode::get_double(const std::string& key, double fallback, const Bounds& bounds) const {
    const std::size_t errors_before = state_->errors.size();
    const double value = get_scalar(key, fallback, parse_double, "a number");
    if (state_->errors.size() == errors_before && has(key))
        check_bounds(key, value, bounds, "a finite number");
    return state_->errors.size() == errors_before ? value : fallback;
}

bool ConfigNode::get_bool(const std::string& key, bool fallback) const {
    return get_scalar(key, fallback, parse_bool, "true or false");
}

std::string ConfigNode::get_string(const std::string& key, const std::string& fallback) const {
    std::string value = fallback;
    if (!report_missing_value(key) && has(key)) {
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
                                                const std::vector<double>& fallback,
                                                const Bounds& bounds) const {
    std::vector<double> value = fallback;
    if (!report_missing_value(key) && has(key)) {
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
            for (const double v : parsed) {
                if (!std::isfinite(v) || !bounds.contains(v)) {
                    error(key, fmt::format("entry {} is out of range: expected every entry to be "
                                           "a finite number {}.",
                                           v, bounds.describe()));
                    value = fallback;
                    break;
                }
            }
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
    state_->record_section(path_, key);
    return ConfigNode(state_, ref, key_path(key));
}

void ConfigNode::ignore(const std::string& key) const {
    state_->read_keys[path_].insert(key);
    state_->ignored.insert(key_path(key));
}

// ---------------------------------------------------------------------------------------------
Config::Config(std::shared_ptr<detail::ConfigState> state) : state_(std::move(state)) {}

namespace {
// yaml-cpp keeps both entries of a repeated key and lookups return the first, so `steps: 10`
// followed later by `steps: 1000` would silently run 10 steps.
void refuse_duplicate_keys(const YAML::Node& node, const std::string& path,
                           const std::string& source) {
    if (node.IsSequence()) {
        for (const auto& item : node) refuse_duplicate_keys(item, path, source);
        return;
    }
    if (!node.IsMap()) return;
    std::map<std::string, int> first_line;
    for (const auto& kv : node) {
        const std::string key = kv.first.Scalar();
        const int line = kv.first.Mark().line + 1;
        const auto [it, inserted] = first_line.emplace(key, line);
        PITA_CHECK(inserted,
                   "[config] {}: key '{}' appears twice (lines {} and {}); expected each key "
                   "once per section. Delete one of them.",
                   source, join_path(path, key), it->second, line);
        refuse_duplicate_keys(kv.second, join_path(path, key), source);
    }
}

void prepare(detail::ConfigState& state, const std::vector<std::string>& overrides) {
    if (!state.root.IsDefined() || state.root.IsNull()) {
        state.root = YAML::Node(YAML::NodeType::Map);
    }
    PITA_CHECK(state.root.IsMap(),
               "[config] {}: the top level must be a map of sections (key: value); got {}.",
               state.source, scalar_text(state.root));
    refuse_duplicate_keys(state.root, "", state.source);
    for (const auto& o : overrides) apply_override(state.root, o);
}

bool is_blank(const std::string& text) {
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        const auto first = line.find_first_not_of(" \t\r");
        if (first != std::string::npos && line[first] != '#') return false;
    }
    return true;
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
    // An empty file would run every default: almost certainly the wrong file or a failed write.
    PITA_CHECK(!is_blank(buffer.str()),
               "[config] '{}' is empty (no keys, only blank lines or comments); expected a YAML "
               "map of sections. Pass one of the configs in configs/, or copy one to start from.",
               path);
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
                     const detail::ConfigState& state, std::vector<std::string>& errors) {
    if (!node.IsMap() || state.ignored.count(path)) return;
    const auto it = state.read_keys.find(path);
    const std::set<std::string> empty;
    const std::set<std::string>& known = it == state.read_keys.end() ? empty : it->second;
    const std::vector<std::string> candidates(known.begin(), known.end());
    for (const auto& kv : node) {
        const std::string key = kv.first.as<std::string>();
        if (known.count(key)) {
            collect_unknown(kv.second, join_path(path, key), state, errors);
            continue;
        }
        const std::string near = nearest(key, candidates);
        std::string hint;
        if (!near.empty()) {
            hint = fmt::format(" Did you mean '{}'?", join_path(path, near));
        } else if (candidates.empty()) {
            hint = path.empty() ? " This command reads no keys here."
                                : fmt::format(" This command reads no keys in '{}'.", path);
        } else {
            hint = fmt::format(" Valid keys here: {}.", fmt::join(candidates, ", "));
        }
        errors.push_back(fmt::format("{}: unknown key.{}", join_path(path, key), hint));
    }
}
}  // namespace

void Config::finish() const {
    std::vector<std::string> problems = state_->errors;
    collect_unknown(state_->root, "", *state_, problems);
    if (problems.empty()) return;
    std::string message = fmt::format("[config] {} problem{} in {}:", problems.size(),
                                      problems.size() == 1 ? "" : "s", state_->source);
    for (const auto& p : problems) message += "\n  - " + p;
    throw ConfigError(message);
}

nlohmann::json Config::resolved() const { return state_->resolved; }

}  // namespace pita
