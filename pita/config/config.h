#pragma once
// YAML configuration with a schema defined by use: components read the keys they know, with
// defaults, and finish() rejects every key nobody read (naming the nearest valid one). All problems
// are collected and reported in one ConfigError, so a user fixes a config in one round.
//
//   Config cfg = Config::load_file("configs/lj13.yaml", {"mcmc.n_steps=2000"});
//   ConfigNode mcmc = cfg.root().child("mcmc");
//   int64_t steps = mcmc.get_int("n_steps", 1000);
//   cfg.finish();                       // throws on unknown keys or bad values
//   nlohmann::json used = cfg.resolved();  // every key read, with the value used
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace pita {

/// The interval a numeric key must lie in. Checked when the key is read, so an out-of-range value
/// is reported by Config::finish() with the key's path, before any work starts:
///   node.get_int("n_chains", 256, Bounds::at_least(1));
///   node.get_double("ess_threshold", 0.5, Bounds::between(0, 1));
///   node.get_double("step_size", 1e-3, Bounds::above(0));
/// Every number must also be finite: NaN and ±inf are refused for every key.
struct Bounds {
    static constexpr double kInf = std::numeric_limits<double>::infinity();
    double lo = -kInf;
    double hi = kInf;
    bool lo_open = false;
    bool hi_open = false;

    static Bounds any() { return {}; }
    static Bounds at_least(double v) { return {v, kInf, false, false}; }
    static Bounds above(double v) { return {v, kInf, true, false}; }
    static Bounds between(double a, double b) { return {a, b, false, false}; }
    /// The same lower end with an upper end hi (inclusive) or below hi (exclusive).
    Bounds at_most(double v) const { return {lo, v, lo_open, false}; }
    Bounds below(double v) const { return {lo, v, lo_open, true}; }

    bool contains(double v) const;
    /// ">= 1", "> 0", "in [0, 1]", "> 0 and < 1", ...
    std::string describe() const;
};

namespace detail {
struct ConfigState;
struct NodeRef;
}  // namespace detail

/// A view of one map in the configuration tree; cheap to copy.
class ConfigNode {
  public:
    /// Dotted path from the root, "" for the root itself.
    const std::string& path() const { return path_; }
    /// True when `key` is present with a value (a key given without a value counts as absent
    /// here, and is reported as an error when it is read).
    bool has(const std::string& key) const;

    /// A key that is present but has no value (`key:` in the file, `key=` on the command line) is
    /// an error, never the fallback; so are a wrong type, a non-finite number and a value outside
    /// `bounds`.
    int64_t get_int(const std::string& key, int64_t fallback,
                    const Bounds& bounds = Bounds::any()) const;
    double get_double(const std::string& key, double fallback,
                      const Bounds& bounds = Bounds::any()) const;
    bool get_bool(const std::string& key, bool fallback) const;
    std::string get_string(const std::string& key, const std::string& fallback) const;
    /// A string that must be one of `choices`; a wrong one is reported with the nearest choice.
    std::string get_choice(const std::string& key, const std::string& fallback,
                           const std::vector<std::string>& choices) const;
    /// Each entry must be finite and within `bounds`.
    std::vector<double> get_double_list(const std::string& key, const std::vector<double>& fallback,
                                        const Bounds& bounds = Bounds::any()) const;

    /// The sub-map at `key` (an empty one when absent, so defaults apply).
    ConfigNode child(const std::string& key) const;
    /// Accepts `key` and everything below it unread: for sections another command uses (e.g.
    /// `pita diagnose` on an mcmc config), so that finish() does not call their keys unknown.
    void ignore(const std::string& key) const;

    /// Records an error about `key` (e.g. a value out of range); reported by Config::finish().
    void error(const std::string& key, const std::string& message) const;
    /// Errors recorded so far for this document (by any node): compare before and after reading
    /// a group of keys to know whether they were all valid.
    std::size_t error_count() const;

  private:
    friend class Config;
    ConfigNode(std::shared_ptr<detail::ConfigState> state, std::shared_ptr<detail::NodeRef> node,
               std::string path);
    std::string key_path(const std::string& key) const;
    /// Reads a scalar with `parse` (bool(const std::string&, T&)); a value it rejects is
    /// reported as "expected <expected>" and the fallback used. Records the value used.
    template <typename T, typename Parse>
    T get_scalar(const std::string& key, T fallback, Parse parse, const char* expected) const;
    /// Reports `key` when it is present without a value; true when it was.
    bool report_missing_value(const std::string& key) const;
    /// `what` names the kind of value in the message ("an integer", "a finite number").
    void check_bounds(const std::string& key, double value, const Bounds& bounds,
                      const char* what) const;

    std::shared_ptr<detail::ConfigState> state_;
    std::shared_ptr<detail::NodeRef> node_;
    std::string path_;
};

/// A parsed configuration document plus what has been read from it.
class Config {
  public:
    /// @param overrides Hydra-style "dotted.key=value" strings; the value is parsed as YAML.
    /// @throws IoError if the file cannot be read, ConfigError if it is not valid YAML, is empty,
    ///         repeats a key within one map, or an override is malformed or has no value.
    static Config load_file(const std::string& path,
                            const std::vector<std::string>& overrides = {});
    static Config from_string(const std::string& yaml,
                              const std::vector<std::string>& overrides = {});

    ConfigNode root() const;
    /// Where the document came from ("<string>" for from_string).
    const std::string& source() const;

    /// Throws one ConfigError listing every unknown key (with the nearest valid key) and every
    /// value error recorded while reading. Call after all components have read their keys.
    void finish() const;
    /// Every key that was read, with the value used (given or default), as JSON.
    nlohmann::json resolved() const;

  private:
    explicit Config(std::shared_ptr<detail::ConfigState> state);
    std::shared_ptr<detail::ConfigState> state_;
};

/// Levenshtein edit distance; used to suggest the nearest valid key or choice.
std::size_t edit_distance(const std::string& a, const std::string& b);
/// The candidate nearest to `word`, or "" when none is plausibly a typo of it.
std::string nearest(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace pita
