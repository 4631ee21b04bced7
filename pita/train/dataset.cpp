#include "pita/train/dataset.h"

#include <ATen/ATen.h>
#include <fmt/format.h>

#include "pita/core/error.h"
#include "pita/core/finite_rows.h"

namespace pita {

at::Tensor check_samples(const at::Tensor& samples, const Energy& energy,
                         const std::string& source) {
    const int64_t n = energy.n_particles();
    const int64_t d = energy.spatial_dim();
    const bool fits = (samples.dim() == 3 && samples.size(1) == n && samples.size(2) == d) ||
                      (samples.dim() == 2 && samples.size(1) == n * d);
    PITA_CHECK(fits,
               "[data] '{}' has shape [{}]; the target {} needs [m, {}, {}] (or [m, {}]). Use "
               "samples of this target, or set energy.n_particles / energy.spatial_dim to match.",
               source, fmt::join(samples.sizes(), ", "), energy.name(), n, d, n * d);
    PITA_CHECK(samples.size(0) > 0, "[data] '{}' holds no samples.", source);
    PITA_CHECK(samples.is_floating_point(),
               "[data] '{}' has dtype {}; expected float32 or float64 coordinates.", source,
               c10::toString(samples.scalar_type()));
    const at::Tensor x = samples.reshape({samples.size(0), n, d});
    const RowFailures bad = failing_rows(finite_rows({x}));
    PITA_CHECK(bad.count == 0,
               "[data] '{}': {} of {} samples have NaN or infinite coordinates (first: row {}). "
               "Remove them from the dataset.",
               source, bad.count, x.size(0), bad.first);
    return x;
}

ReplayBuffer make_buffer(const Energy& energy, const at::Tensor& samples, double temperature,
                         double beta, int64_t max_length, const std::string& provenance,
                         at::TensorOptions options, const std::string& source) {
    PITA_CHECK(temperature > 0, "[data] temperature: got {}; expected > 0.", temperature);
    at::Tensor x = check_samples(samples, energy, source);
    if (x.size(0) > max_length) x = x.slice(0, x.size(0) - max_length);
    x = x.to(at::kDouble).contiguous();
    constexpr int64_t kChunk = 4096;
    std::vector<at::Tensor> energies, forces;
    for (int64_t i = 0; i < x.size(0); i += kChunk) {
        const EnergyAndForce ef = energy.energy_and_force(x.slice(0, i, i + kChunk));
        energies.push_back(ef.energy.to(at::kDouble));
        forces.push_back(ef.force.to(at::kDouble));
    }
    const at::Tensor e = at::cat(energies);
    const at::Tensor f = at::cat(forces);
    const RowFailures bad = failing_rows(finite_rows({e, f}));
    PITA_CHECK(bad.count == 0,
               "[data] '{}': {} of {} samples have a non-finite energy or force under {} (first: "
               "row {}). Were they drawn from this target?",
               source, bad.count, x.size(0), energy.name(), bad.first);
    // In the training dtype (float32 by default) a finite float64 energy or force can overflow.
    const at::Tensor bx = x.to(options);
    const at::Tensor log_p = (-e / temperature).to(options);
    const at::Tensor grad_log_p = (f / temperature).to(options);
    const RowFailures overflow = failing_rows(finite_rows({bx, log_p, grad_log_p}));
    PITA_CHECK(overflow.count == 0,
               "[data] '{}': {} of {} samples have coordinates, energies or forces beyond the "
               "range of {} (first: row {}). Were they drawn from this target?",
               source, overflow.count, x.size(0), c10::toString(options.dtype().toScalarType()),
               overflow.first);
    ReplayBuffer buffer(temperature, beta, max_length, provenance);
    buffer.add(bx, log_p, grad_log_p);
    return buffer;
}

}  // namespace pita
