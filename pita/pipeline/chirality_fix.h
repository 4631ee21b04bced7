#pragma once
// Chirality of annealed molecule samples (issue 14 item 4, spec §7): the D/L counts of a rung's
// samples; `anneal.fix_mirrored`, which mirrors wholly inverted samples back (x → −x; the force
// field is parity-invariant, so that maps a Boltzmann sample to one); and `anneal.l_form_only`,
// which drops the samples that are still not L after that. `pita run`, `pita anneal` and the
// Python binding all apply them here, so the keys do the same everywhere.
#include <string>
#include <vector>

#include "pita/anneal/anneal_stage.h"
#include "pita/molecule/molecular_graph.h"

namespace pita {

class ConfigNode;
class Energy;

/// What happens to annealed molecule samples that are not L.
struct ChiralityHandling {
    /// anneal.fix_mirrored: mirror (x → −x) the samples whose every centre is inverted.
    bool fix_mirrored = false;
    /// anneal.l_form_only: drop the samples that are not L after the mirror fix (partly
    /// inverted ones, and wholly inverted ones without fix_mirrored). The molecule is one
    /// stereoisomer, so the target is the Boltzmann density restricted to it; the force field
    /// cannot tell stereoisomers apart, so without this a sampler that makes a partly inverted
    /// molecule samples a different molecule. Dropping is importance weighting with weight 0
    /// outside the target's support: the kept samples are the annealed ones conditioned on
    /// being L. Their relaxation's evaluations stay counted (it runs before the check).
    bool l_form_only = false;
    bool any() const { return fix_mirrored || l_form_only; }
};

/// Reads anneal.fix_mirrored and anneal.l_form_only (both default false).
ChiralityHandling read_chirality_handling(const ConfigNode& anneal);

/// The chiral centres of a molecule target; none for any other target.
std::vector<ChiralCentre> chiral_centres_of(const Energy& energy);

/// Both keys need chirality centres; a molecule with centres needs a backbone that can tell
/// enantiomers apart, or one of the keys. Errors are recorded on `root` (Config::finish reports
/// them).
void check_chirality_options(const ConfigNode& root, const Energy& energy,
                             const std::string& backbone, const ChiralityHandling& handling);

/// The same refusal of both keys for a target without chirality centres, for callers that know
/// the target only after Config::finish (`pita anneal` reads it from the checkpoint).
/// @throws ConfigError
void require_centres_for(const std::vector<ChiralCentre>& centres,
                         const ChiralityHandling& handling);

/// Molecules: the D/L counts of the annealed samples in `r.summary["chirality"]` (before the
/// fix, before relaxation, after the fix); with fix_mirrored, the mirrored ones mirrored back in
/// both r.x and r.x_before_relaxation (energies stay valid: E(−x) = E(x)); with l_form_only, the
/// samples that are not L before or after the relaxation removed from every field of `r`
/// (summary: "dropped_not_l", "lineages_after_drop"; "samples" and "mean_energy" updated).
/// Other targets: nothing.
/// @throws NumericalError when l_form_only would drop every sample
void check_and_fix_chirality(AnnealStageResult& r, const std::vector<ChiralCentre>& centres,
                             const ChiralityHandling& handling);

}  // namespace pita
