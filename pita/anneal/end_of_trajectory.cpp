#include "pita/anneal/end_of_trajectory.h"

#include <algorithm>
#include <numeric>

#include <ATen/ATen.h>

#include "pita/core/error.h"
#include "pita/core/rng.h"
#include "pita/mcmc/mala.h"

namespace pita {

CorrectionResult correct_to_target(const Energy& target, double temperature,
                                   const AnnealingModel& model, double gamma, const at::Tensor& x,
                                   const at::Tensor& log_weight, ResamplingScheme scheme,
                                   double clamp_quantile, at::Generator& gen) {
    PITA_CHECK(temperature > 0, "[anneal] target temperature: got {}; expected > 0.", temperature);
    require_generator_on(gen, x.device(), "end-of-trajectory correction");
    const int64_t before = target.evaluations();
    const at::Tensor e = target.energy(x).to(at::kDouble);
    const at::Tensor u = model.energy(x, 0.0).to(at::kDouble);
    at::Tensor log_w = -e / temperature + gamma * u + log_weight.to(at::kDouble);
    CorrectionResult out;
    out.non_finite = (~at::isfinite(log_w)).sum().item<int64_t>();
    if (clamp_quantile > 0) log_w = clamp_above_quantile(log_w, clamp_quantile);
    out.ess = effective_sample_size(log_w);
    const at::Tensor idx =
        resample(log_w, scheme, x.size(0), gen, "end-of-trajectory importance correction");
    out.x = x.index_select(0, idx.to(x.device()));
    out.energy = e.index_select(0, idx.to(e.device()));
    out.unique_ancestors = count_unique(idx);
    out.ancestors = idx;
    out.energy_evaluations = target.evaluations() - before;
    return out;
}

RelaxationResult relax_on_target(const Energy& target, double temperature, const at::Tensor& x,
                                 int64_t steps, double initial_step_size, at::Generator& gen,
                                 RelaxationStepAdaptation adaptation) {
    PITA_CHECK(steps >= 0, "[anneal] relaxation steps: got {}; expected >= 0.", steps);
    require_generator_on(gen, x.device(), "relaxation");
    const int64_t before = target.evaluations();
    // Samples with a non-finite energy (an SDE blow-up the correction did not remove) cannot
    // start a chain; they are kept as they are and reported through their energy.
    const at::Tensor e0 = target.energy(x).to(at::kDouble);
    const at::Tensor ok = at::isfinite(e0).nonzero().squeeze(1);
    RelaxationResult out;
    out.x = x.clone();
    out.energy = e0;
    const int64_t n = ok.size(0);
    if (n == 0 || steps == 0) {
        out.energy_evaluations = target.evaluations() - before;
        return out;
    }
    MalaOptions mo;
    mo.initial_step_size = initial_step_size;
    // Adaptation groups: one per sample, or one for all.
    std::vector<int64_t> groups(static_cast<std::size_t>(n), 0);
    if (adaptation == RelaxationStepAdaptation::PerSample)
        std::iota(groups.begin(), groups.end(), int64_t{0});
    Mala mala(target, mo, std::vector<double>(static_cast<std::size_t>(n), temperature),
              std::move(groups));
    ChainState state = mala.init(x.index_select(0, ok.to(x.device())));
    double accepted = 0.0;
    for (int64_t k = 0; k < steps; ++k)
        accepted += mala.step(state, gen, /*adapt=*/true).to(at::kDouble).mean().item<double>();
    out.x.index_copy_(0, ok.to(x.device()), state.x.to(x.dtype()));
    out.energy.index_copy_(0, ok, state.energy.to(out.energy.options()));
    out.acceptance = steps > 0 ? accepted / static_cast<double>(steps) : 0.0;
    std::vector<double> sizes = mala.step_sizes();
    std::sort(sizes.begin(), sizes.end());
    out.step_size = sizes[sizes.size() / 2];
    out.min_step_size = sizes.front();
    out.max_step_size = sizes.back();
    out.energy_evaluations = target.evaluations() - before;
    return out;
}

}  // namespace pita
