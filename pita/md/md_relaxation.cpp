#include "pita/md/md_relaxation.h"

#include <cmath>

#include <ATen/ATen.h>

#include "pita/core/error.h"
#include "pita/md/langevin.h"
#include "pita/molecule/molecule.h"

namespace pita {

namespace {

int64_t md_steps(const MdRelaxationOptions& o) {
    return static_cast<int64_t>(std::llround(o.duration_ps / o.step_size_ps));
}

}  // namespace

RelaxationResult relax_by_md(const Molecule& molecule, double temperature, const at::Tensor& x,
                             const MdRelaxationOptions& options, at::Generator& gen,
                             int64_t* reverted) {
    PITA_CHECK(temperature > 0 && options.step_size_ps > 0 && options.duration_ps >= 0,
               "[relaxation] md: temperature {} K, {} ps in steps of {} ps; expected all > 0.",
               temperature, options.duration_ps, options.step_size_ps);
    const int64_t steps = md_steps(options);
    LangevinOptions lo;
    lo.temperature = temperature;
    lo.friction = options.friction;
    lo.step_size = options.step_size_ps;
    const LangevinMiddle md(molecule.physical(), molecule.masses().to(x.device()), lo);
    const at::Tensor x_nm = molecule.to_nm(x.to(at::kDouble));
    MdState state = md.start(x_nm, gen);
    const at::Tensor start_energy = state.potential.clone();
    md.run(state, steps, gen);
    // A sample whose dynamics blew up keeps its start: it is counted, never silently dropped.
    const at::Tensor ok = at::isfinite(state.x).flatten(1).all(1) & at::isfinite(state.potential);
    const at::Tensor keep = ok.view({-1, 1, 1});
    const at::Tensor x_out = at::where(keep, state.x, x_nm);
    const at::Tensor potential = at::where(ok, state.potential, start_energy);
    const int64_t n_ok = ok.sum().item<int64_t>();
    if (reverted != nullptr) *reverted = x.size(0) - n_ok;

    RelaxationResult r;
    r.x = molecule.normalise(x_out).to(x.scalar_type());
    r.energy = (potential / molecule_energy_unit()).to(at::kDouble);
    r.acceptance = x.size(0) > 0 ? static_cast<double>(n_ok) / static_cast<double>(x.size(0)) : 1;
    r.step_size = options.step_size_ps;
    r.min_step_size = r.max_step_size = options.step_size_ps;
    r.energy_evaluations = x.size(0) * (steps + 1);
    return r;
}

nlohmann::json describe(const MdRelaxationOptions& o) {
    return {{"method", "md"},
            {"ps", o.duration_ps},
            {"step_size_ps", o.step_size_ps},
            {"friction", o.friction},
            {"steps", md_steps(o)}};
}

}  // namespace pita
