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
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace pita {

namespace detail {
struct ConfigState;
struct NodeRef;
}  // namespace detail

/// A view of one map in the configuration tree; cheap to copy.
class ConfigNode {
  public:
    /// Dotted path from the root, "" for the root itself.
    const std::string& path() const { return path_; }
    bool has(const std::string& key) const;

    int64_t get_int(const std::string& key, int64_t fallback) const;
    double get_double(const std::string& key, double fallback) const;
    bool get_bool(const std::string& key, bool fallback) const;
    std::string get_string(const std::string& key, const std::string& fallback) const;
    /// A string that must be one of `choices`; a wrong one is reported with the nearest choice.
    std::string get_choice(const std::string& key, const std::string& fallback,
                           const std::vector<std::string>& choices) const;
    std::vector<double> get_double_list(const std::string& key,
                                        const std::vector<double>& fallback) const;

    /// The sub-map at `key` (an empty one when absent, so defaults apply).
    ConfigNode child(const std::string& key) const;

    /// Records an error about `key` (e.g. a value out of range); reported by Config::finish().
    void error(const std::string& key, const std::string& message) const;

  private:
    friend class Config;
    ConfigNode(std::shared_ptr<detail::ConfigState> state, std::shared_ptr<detail::NodeRef> node,
               std::string path);
    std::string key_path(const std::string& key) const;
    /// Reads a scalar with `parse` (bool(const std::string&, T&)); a value it rejects is
    /// reported as "expected <expected>" and the fallback used. Records the value used.
    template <typename T, typename Parse>
    T get_scalar(const std::string& key, T fallback, Parse parse, const char* expected) const;

    std::shared_ptr<detail::ConfigState> state_;
    std::shared_ptr<detail::NodeRef> node_;
    std::string path_;
};

/// A parsed configuration document plus what has been read from it.
class Config {
  public:
    /// @param overrides Hydra-style "dotted.key=value" strings; the value is parsed as YAML.
    /// @throws IoError if the file cannot be read, ConfigError if it is not valid YAML or an
    ///         override is malformed.
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
