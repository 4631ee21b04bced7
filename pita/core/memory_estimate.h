#pragma once
// A rough bound of the memory a command will allocate, from its config alone, checked before any
// work: a config that cannot fit (e.g. `mcmc.n_chains=100000000`) is refused with the key to
// lower instead of ending in an allocation failure minutes later. The estimates count the large
// arrays (sampler states, pairwise terms, kept samples, replay buffers, network activations) and
// leave out what is small next to them; they aim at the order of magnitude, not the byte.
#include <cstdint>
#include <string>
#include <vector>

namespace pita {

class MemoryEstimate {
  public:
    /// One item: `key` is the config key that sets its size (named when the total does not fit).
    void add(const std::string& key, double bytes, const std::string& what);
    double total_bytes() const;
    /// "1.2 GiB (anneal.n_samples 0.9 GiB: SMC population, ...)" for a --check plan.
    std::string summary() const;
    /// @throws ConfigError when the total exceeds `available_bytes`, naming the largest items'
    ///         keys, both sizes and a hint.
    void require_fits(double available_bytes, const std::string& command) const;

  private:
    struct Item {
        std::string key;
        double bytes;
        std::string what;
    };
    std::vector<Item> items_;
};

/// What this process may still allocate: MemAvailable of /proc/meminfo, lowered to the address
/// space limit (ulimit -v) when one is set; +inf when neither can be read.
double available_memory_bytes();

/// "512 B", "3.4 MiB", "31.2 GiB".
std::string format_bytes(double bytes);

/// Bytes of the state of `rows` configurations of `n_particles` × `spatial_dim` in a batched
/// sampler (MALA, Langevin MD, the SDE): positions, forces, proposals and their energies, and the
/// pairwise terms (n² per row) the targets build, all in float64.
double sampler_state_bytes(int64_t rows, int64_t n_particles, int64_t spatial_dim);

/// Bytes of `rows` stored configurations in float64 (kept samples, replay buffers).
double stored_rows_bytes(int64_t rows, int64_t n_particles, int64_t spatial_dim);

/// Bytes of the activations kept for one backward pass of a backbone over `rows` inputs:
/// `per_row_floats` is the backbone's own count (Backbone::activation_floats_per_row), so this
/// adds the float size and the backward pass's copy.
double activation_bytes(int64_t rows, double per_row_floats, int64_t bytes_per_float);

}  // namespace pita
