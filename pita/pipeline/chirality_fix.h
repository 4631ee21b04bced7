#pragma once
// Chirality of annealed molecule samples (issue 14 item 4, spec §7): the D/L counts of a rung's
// samples, and `anneal.fix_mirrored`, which mirrors wholly inverted samples back (x → −x; the
// force field is parity-invariant, so that maps a Boltzmann sample to one). `pita run` and
// `pita anneal` both apply it here, so the key does the same in both.
#include <string>
#include <vector>

#include "pita/anneal/anneal_stage.h"
#include "pita/molecule/molecular_graph.h"

namespace pita {

class ConfigNode;
class Energy;

/// The chiral centres of a molecule target; none for any other target.
std::vector<ChiralCentre> chiral_centres_of(const Energy& energy);

/// anneal.fix_mirrored needs chirality centres; a molecule with centres needs a backbone that can
/// tell enantiomers apart, or the fix. Errors are recorded on `root` (Config::finish reports them).
void check_chirality_options(const ConfigNode& root, const Energy& energy,
                             const std::string& backbone, bool fix_mirrored);

/// The same refusal of anneal.fix_mirrored for a target without chirality centres, for callers
/// that know the target only after Config::finish (`pita anneal` reads it from the checkpoint).
/// @throws ConfigError
void require_centres_for_fix(const std::vector<ChiralCentre>& centres, bool fix_mirrored);

/// Molecules: the D/L counts of the annealed samples in `r.summary["chirality"]` (before the
/// fix, before relaxation, after the fix), and with `fix`, the mirrored ones mirrored back in
/// both r.x and r.x_before_relaxation. Energies stay valid (E(−x) = E(x)). Other targets: nothing.
void check_and_fix_chirality(AnnealStageResult& r, const std::vector<ChiralCentre>& centres,
                             bool fix);

}  // namespace pita
