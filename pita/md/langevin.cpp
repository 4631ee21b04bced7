#include "pita/md/langevin.h"

#include <cmath>

#include <ATen/ATen.h>

#include "pita/core/error.h"
#include "pita/core/rng.h"
#include "pita/core/units.h"

namespace pita {

LangevinMiddle::LangevinMiddle(const Energy& energy, const at::Tensor& masses,
                               LangevinOptions options)
    : energy_(energy), options_(options) {
    PITA_CHECK(options_.temperature > 0 && std::isfinite(options_.temperature),
               "[langevin] temperature: got {}; expected > 0 K.", options_.temperature);
    PITA_CHECK(options_.friction >= 0 && std::isfinite(options_.friction),
               "[langevin] friction: got {}; expected >= 0 (1/ps).", options_.friction);
    PITA_CHECK(options_.step_size > 0 && std::isfinite(options_.step_size),
               "[langevin] step_size: got {}; expected > 0 ps (e.g. 0.001).", options_.step_size);
    PITA_CHECK(masses.dim() == 1 && masses.size(0) == energy.n_particles(),
               "[langevin] masses: got shape [{}]; expected [{}] (one per atom).",
               fmt::join(masses.sizes(), ", "), energy.n_particles());
    const at::Tensor m = masses.to(at::kDouble);
    PITA_CHECK(m.gt(0).all().item<bool>(),
               "[langevin] masses: got a mass <= 0; expected positive masses in amu. Virtual "
               "sites (mass 0) are not supported.");
    inv_mass_ = m.reciprocal().view({1, -1, 1});
}

double LangevinMiddle::kT() const { return kMolarGasConstant * options_.temperature; }

MdState LangevinMiddle::start(const at::Tensor& x, at::Generator& gen) const {
    return start(x, at::full({x.dim() == 3 ? x.size(0) : 0}, options_.temperature, at::kDouble),
                 gen);
}

MdState LangevinMiddle::start(const at::Tensor& x, const at::Tensor& temperatures,
                              at::Generator& gen) const {
    require_generator_on(gen, x.device(), "langevin");
    PITA_CHECK(x.dim() == 3 && x.size(1) == energy_.n_particles() && x.size(2) == 3,
               "[langevin] positions: got shape [{}]; expected [replicas, {}, 3].",
               fmt::join(x.sizes(), ", "), energy_.n_particles());
    PITA_CHECK(temperatures.dim() == 1 && temperatures.size(0) == x.size(0),
               "[langevin] temperatures: got shape [{}]; expected [{}] (one per replica).",
               fmt::join(temperatures.sizes(), ", "), x.size(0));
    const at::Tensor t = temperatures.to(at::kDouble).to(x.device()).contiguous();
    PITA_CHECK((t.gt(0) & t.isfinite()).all().item<bool>(),
               "[langevin] temperatures: got a temperature <= 0 or non-finite; expected > 0 K.");
    MdState s;
    s.x = x.to(at::kDouble).contiguous();
    s.temperature = t;
    const at::Tensor inv_mass = inv_mass_.to(s.x.device());
    s.v = at::randn(s.x.sizes(), gen, at::kDouble).to(s.x.device()) *
          (kMolarGasConstant * t.view({-1, 1, 1}) * inv_mass).sqrt();
    EnergyAndForce ef = energy_.energy_and_force(s.x);
    s.force = std::move(ef.force);
    s.potential = std::move(ef.energy);
    return s;
}

void LangevinMiddle::run(MdState& s, int64_t n_steps, at::Generator& gen) const {
    require_generator_on(gen, s.x.device(), "langevin");
    const double h = options_.step_size;
    const double a = std::exp(-options_.friction * h);
    const at::Tensor inv_mass = inv_mass_.to(s.x.device());
    // Per replica and atom: sqrt((1 − a²)·R·T_r/m_i); the replica's bath may change between
    // calls (replica exchange), so this is rebuilt per call, not per step.
    const at::Tensor noise_scale =
        ((1.0 - a * a) * kMolarGasConstant * s.temperature.view({-1, 1, 1}) * inv_mass).sqrt();
    at::Tensor xi = at::empty(s.x.sizes(), at::kDouble);
    for (int64_t step = 0; step < n_steps; ++step) {
        s.v.add_(s.force * inv_mass, h);
        s.x.add_(s.v, 0.5 * h);
        xi.normal_(0.0, 1.0, gen);
        s.v.mul_(a).add_(noise_scale * xi.to(s.x.device()));
        s.x.add_(s.v, 0.5 * h);
        EnergyAndForce ef = energy_.energy_and_force(s.x);
        s.force = std::move(ef.force);
        s.potential = std::move(ef.energy);
        ++s.steps;
    }
}

at::Tensor LangevinMiddle::kinetic_energy(const MdState& s) const {
    return 0.5 * (s.v.pow(2) / inv_mass_.to(s.v.device())).sum({1, 2});
}

at::Tensor LangevinMiddle::kinetic_temperature(const MdState& s) const {
    const double n_dof = 3.0 * static_cast<double>(energy_.n_particles());
    return 2.0 * kinetic_energy(s) / (n_dof * kMolarGasConstant);
}

}  // namespace pita
