#include "pita/anneal/annealing_model.h"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include "pita/anneal/divergence.h"
#include "pita/core/error.h"

namespace pita {

LearnedAnnealingModel::LearnedAnnealingModel(const ScoreModel& score, const EnergyModel& energy,
                                             const NoiseSchedule& schedule,
                                             LearnedModelOptions options)
    : score_(score), energy_(energy), schedule_(schedule), options_(options) {
    PITA_CHECK(options_.hutchinson_probes >= 1,
               "[anneal] hutchinson_probes: got {}; expected >= 1.", options_.hutchinson_probes);
}

DriftInputs LearnedAnnealingModel::evaluate(const at::Tensor& x, double t, bool with_weights,
                                            at::Generator& gen) const {
    const int64_t b = x.size(0);
    const at::Tensor h = at::full({b}, schedule_.h(t), x.options());
    const at::Tensor beta = at::full({b}, options_.beta, x.options());
    DriftInputs out;
    if (with_weights) {
        at::AutoGradMode grad_on(true);
        const VectorField s = [&](const at::Tensor& y) {
            const int64_t rows = y.size(0);
            return score_.score(y, h.narrow(0, 0, 1).expand({rows}),
                                beta.narrow(0, 0, 1).expand({rows}));
        };
        ValueAndDivergence vd =
            options_.divergence == DivergenceEstimator::Exact
                ? exact_divergence(s, x, options_.max_rows)
                : hutchinson_divergence(s, x, options_.hutchinson_probes, gen, options_.max_rows);
        out.score = vd.value;
        out.div_score = vd.divergence;
        if (!options_.energy_network) return out;
        const EnergyModelOutputs e =
            energy_.evaluate(x, h, beta, EnergyWant::GradXAndDh, /*create_graph=*/false);
        out.u = e.energy.detach();
        out.grad_u = e.grad_x;
        out.du_dt = e.du_dh * schedule_.dh_dt(t);  // ∂U/∂t = ∂U/∂h · dh/dt
    } else {
        at::NoGradGuard no_grad;
        out.score = score_.score(x, h, beta);
        if (!options_.energy_network) return out;
        at::AutoGradMode grad_on(true);
        out.grad_u = energy_.evaluate(x, h, beta, EnergyWant::GradX, /*create_graph=*/false).grad_x;
    }
    return out;
}

at::Tensor LearnedAnnealingModel::energy(const at::Tensor& x, double t) const {
    at::NoGradGuard no_grad;
    const int64_t b = x.size(0);
    return energy_.energy(x, at::full({b}, schedule_.h(t), x.options()),
                          at::full({b}, options_.beta, x.options()));
}

ExactAnnealingModel::ExactAnnealingModel(const NoisedDensity& density,
                                         const NoiseSchedule& schedule, int64_t n_particles,
                                         int64_t spatial_dim)
    : density_(density), schedule_(schedule), n_particles_(n_particles), spatial_dim_(spatial_dim) {
    PITA_CHECK(density.flat_dim() == n_particles * spatial_dim,
               "[anneal] exact model: density has dimension {}; expected {} × {}.",
               density.flat_dim(), n_particles, spatial_dim);
}

DriftInputs ExactAnnealingModel::evaluate(const at::Tensor& x, double t, bool with_weights,
                                          at::Generator& /*gen*/) const {
    at::NoGradGuard no_grad;
    const at::Tensor flat = x.reshape({x.size(0), -1});
    const at::Tensor h = at::scalar_tensor(schedule_.h(t), x.options());
    DriftInputs out;
    out.score = density_.score(flat, h).reshape(x.sizes());
    out.grad_u = -out.score;
    if (with_weights) {
        out.u = -density_.log_prob(flat, h);
        out.du_dt = -density_.dlogp_dh(flat, h) * schedule_.dh_dt(t);
        out.div_score = density_.laplacian(flat, h);
    }
    return out;
}

at::Tensor ExactAnnealingModel::energy(const at::Tensor& x, double t) const {
    at::NoGradGuard no_grad;
    return -density_.log_prob(x.reshape({x.size(0), -1}),
                              at::scalar_tensor(schedule_.h(t), x.options()));
}

}  // namespace pita
