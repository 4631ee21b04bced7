#include "pita/pipeline/relaxation_setup.h"

#include "pita/anneal/anneal_stage.h"
#include "pita/core/error.h"
#include "pita/energy/energy.h"
#ifdef PITA_WITH_OPENMM
#include "pita/md/md_relaxation.h"
#include "pita/md/md_simulation.h"
#endif

namespace pita {

void setup_relaxation(const Energy& energy, AnnealStageOptions& o) {
    const bool molecule = energy.molecular_graph() != nullptr;
    PITA_CHECK(o.relaxation != RelaxationMethod::Md || molecule,
               "anneal.relaxation: md needs a molecule target (masses and physical units); use "
               "mala for this target.");
    o.relaxation = resolve_relaxation(o.relaxation, molecule);
    if (o.relaxation != RelaxationMethod::Md) return;
    PITA_CHECK(o.relax_steps == 0,
               "anneal.relax_steps is the MALA relaxation's step count, but the relaxation is md "
               "(the default for molecules): set anneal.relax_md_ps (0 = none), or "
               "anneal.relaxation: mala.");
#ifdef PITA_WITH_OPENMM
    if (o.relax_md_ps <= 0) return;
    MdRelaxationOptions md;
    md.duration_ps = o.relax_md_ps;
    md.step_size_ps = o.relax_md_step_size;
    md.friction = o.relax_md_friction;
    o.custom_relaxation.summary = describe(md);
    const Molecule* target = &md_target(energy);
    o.custom_relaxation.relax = [target, md](const at::Tensor& x, double temperature,
                                             at::Generator& gen) {
        return relax_by_md(*target, temperature, x, md, gen);
    };
#endif
}

}  // namespace pita
