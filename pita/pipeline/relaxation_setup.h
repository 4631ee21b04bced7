#pragma once
// Which relaxation an annealing stage runs on the true target (anneal.relaxation), resolved for
// the target: MALA for any target, MD for molecules (the default there). `pita run` and
// `pita anneal` both set it up here, so the choice in the config is what runs.
namespace pita {

class Energy;
struct AnnealStageOptions;

/// Resolves options.relaxation (auto → md for molecules, mala otherwise) and, for md with
/// relax_md_ps > 0, plugs the molecule's MD relaxation (pita/md/md_relaxation.h) into
/// options.custom_relaxation.
/// @throws ConfigError naming anneal.relaxation (md for a target that is not a molecule) or
///         anneal.relax_steps (a MALA step count given to the md relaxation)
void setup_relaxation(const Energy& energy, AnnealStageOptions& options);

}  // namespace pita
