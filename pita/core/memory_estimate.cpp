#include "pita/core/memory_estimate.h"

#include <sys/resource.h>

#include <algorithm>
#include <fstream>
#include <limits>
#include <sstream>

#include <fmt/format.h>

#include "pita/core/error.h"

namespace pita {

void MemoryEstimate::add(const std::string& key, double bytes, const std::string& what) {
    items_.push_back({key, bytes, what});
}

double MemoryEstimate::total_bytes() const {
    double total = 0;
    for (const Item& i : items_) total += i.bytes;
    return total;
}

namespace {
std::vector<std::size_t> largest_first(const std::vector<double>& bytes) {
    std::vector<std::size_t> order(bytes.size());
    for (std::size_t k = 0; k < order.size(); ++k) order[k] = k;
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return bytes[a] > bytes[b]; });
    return order;
}
}  // namespace

std::string MemoryEstimate::summary() const {
    std::vector<double> bytes;
    for (const Item& i : items_) bytes.push_back(i.bytes);
    std::string parts;
    for (const std::size_t k : largest_first(bytes)) {
        if (!parts.empty()) parts += ", ";
        parts +=
            fmt::format("{} {}: {}", items_[k].key, format_bytes(items_[k].bytes), items_[k].what);
    }
    return fmt::format("{} ({})", format_bytes(total_bytes()), parts);
}

void MemoryEstimate::require_fits(double available_bytes, const std::string& command) const {
    const double total = total_bytes();
    if (total <= available_bytes) return;
    std::vector<double> bytes;
    for (const Item& i : items_) bytes.push_back(i.bytes);
    const std::vector<std::size_t> order = largest_first(bytes);
    std::string culprits;
    for (std::size_t r = 0; r < std::min<std::size_t>(2, order.size()); ++r) {
        const Item& i = items_[order[r]];
        if (!culprits.empty()) culprits += "; ";
        culprits += fmt::format("{} ({}, {})", i.key, i.what, format_bytes(i.bytes));
    }
    std::string keys = items_[order.front()].key;
    if (order.size() > 1 && items_[order[1]].key != keys) keys += " or " + items_[order[1]].key;
    throw ConfigError(fmt::format(
        "[{}] the config needs about {} of memory; expected at most the {} this machine has "
        "available. The largest parts: {}. Lower {}.",
        command, format_bytes(total), format_bytes(available_bytes), culprits, keys));
}

double available_memory_bytes() {
    double available = std::numeric_limits<double>::infinity();
    std::ifstream meminfo("/proc/meminfo");
    std::string line;
    while (std::getline(meminfo, line)) {
        std::istringstream in(line);
        std::string name;
        double kib = 0;
        if (in >> name >> kib && name == "MemAvailable:") {
            available = kib * 1024.0;
            break;
        }
    }
    rlimit limit{};
    if (getrlimit(RLIMIT_AS, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY)
        available = std::min(available, static_cast<double>(limit.rlim_cur));
    return available;
}

std::string format_bytes(double bytes) {
    constexpr double kKiB = 1024.0;
    if (bytes < kKiB) return fmt::format("{:.0f} B", bytes);
    if (bytes < kKiB * kKiB) return fmt::format("{:.1f} KiB", bytes / kKiB);
    if (bytes < kKiB * kKiB * kKiB) return fmt::format("{:.1f} MiB", bytes / (kKiB * kKiB));
    return fmt::format("{:.1f} GiB", bytes / (kKiB * kKiB * kKiB));
}

double sampler_state_bytes(int64_t rows, int64_t n_particles, int64_t spatial_dim) {
    const double r = static_cast<double>(rows);
    const double n = static_cast<double>(n_particles);
    const double d = static_cast<double>(spatial_dim);
    // ~8 arrays of n·d (x, force, proposal, its force, noise, drift, ...) and ~4 of n² (pairwise
    // differences' norms and the terms built from them), float64.
    return r * (8.0 * n * d + 4.0 * n * n) * 8.0;
}

double stored_rows_bytes(int64_t rows, int64_t n_particles, int64_t spatial_dim) {
    return static_cast<double>(rows) * static_cast<double>(n_particles) *
           static_cast<double>(spatial_dim) * 8.0;
}

double activation_bytes(int64_t rows, double per_row_floats, int64_t bytes_per_float) {
    // The forward activations are kept for the backward pass, which allocates about as much.
    return 2.0 * static_cast<double>(rows) * per_row_floats * static_cast<double>(bytes_per_float);
}

}  // namespace pita
