#include "pita/md/md_relaxation.h"

#include <cmath>

#include <ATen/ATen.h>

#include "pita/core/error.h"
#include "pita/core/units.h"
#include "pita/md/langevin.h"
#include "pita/molecule/molecular_graph.h"
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
    MdState state = md.start(x_nm.clone(), gen);  // the dynamics update its positions in place
    const at::Tensor start_energy = state.potential.clone();
    md.run(state, steps, gen);
    // A sample whose dynamics blew up keeps its start: it is counted, never silently dropped.
    // Blown up: a non-finite position or energy, a bond that the MD broke (a start with a clash
    // can fling atoms apart in one 1 fs step; thermal motion never stretches a bond to 1.5 r0,
    // which costs hundreds of kT), or an energy that rose by more than kBlowUpKT (thermalising a
    // structure near a minimum raises it by about dof/2 kT, ~33 kT for ALDP).
    constexpr double kBlowUpKT = 1000.0;
    const double kT = kMolarGasConstant * temperature;  // kJ/mol
    const std::vector<Bond>& bonds = molecule.molecular_graph()->bonds;
    const at::Tensor broken_before = has_broken_bond(x, bonds);
    const at::Tensor broken_after = has_broken_bond(molecule.normalise(state.x), bonds);
    const at::Tensor ok = at::isfinite(state.x).flatten(1).all(1) & at::isfinite(state.potential) &
                          (~broken_after | broken_before).to(state.x.device()) &
                          (state.potential - start_energy).le(kBlowUpKT * kT);
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
