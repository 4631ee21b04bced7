#include "pita/pipeline/chirality_fix.h"

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include "pita/config/config.h"
#include "pita/core/error.h"
#include "pita/energy/energy.h"

namespace pita {

namespace {
constexpr const char* kNoCentres =
    "the target has no chirality centres (only molecule targets with a tetrahedral centre "
    "have); remove the key.";
}  // namespace

/// The chiral centres of a molecule target; none for any other target.
std::vector<ChiralCentre> chiral_centres_of(const Energy& energy) {
    const MolecularGraph* graph = energy.molecular_graph();
    return graph != nullptr ? graph->chiral_centres : std::vector<ChiralCentre>{};
}

/// anneal.fix_mirrored needs chirality centres; a molecule with centres needs a backbone that can
/// tell enantiomers apart, or the fix: an E(3)-equivariant network (EGNN) gives a mirror image the
/// same density, so about half its samples come out D.
void check_chirality_options(const ConfigNode& root, const Energy& energy,
                             const std::string& backbone, bool fix_mirrored) {
    const bool chiral = !chiral_centres_of(energy).empty();
    if (fix_mirrored && !chiral) root.child("anneal").error("fix_mirrored", kNoCentres);
    if (chiral && !fix_mirrored && backbone == "egnn")
        root.child("model").error(
            "backbone",
            "egnn is E(3)-equivariant: it cannot tell a molecule from its mirror image, so about "
            "half its samples would be D. Use dit (or mlp), or set anneal.fix_mirrored: true to "
            "mirror the inverted samples back (counted in anneal.json).");
}

void require_centres_for_fix(const std::vector<ChiralCentre>& centres, bool fix_mirrored) {
    PITA_CHECK(!fix_mirrored || !centres.empty(), "[anneal] fix_mirrored: {}", kNoCentres);
}

/// Molecules: the D/L counts of the annealed samples in `r.summary["chirality"]`, and with
/// `fix`, the mirrored ones mirrored back in both r.x and r.x_before_relaxation.
void check_and_fix_chirality(AnnealStageResult& r, const std::vector<ChiralCentre>& centres,
                             bool fix) {
    if (centres.empty()) return;
    auto counts_json = [&](const at::Tensor& x) {
        const ChiralityCounts c = count_chirality(x, centres);
        return nlohmann::json{{"l_form", c.l_form}, {"mirrored", c.mirrored}, {"mixed", c.mixed}};
    };
    nlohmann::json& j = r.summary["chirality"];
    j["before_fix"] = counts_json(r.x);
    if (r.x_before_relaxation.defined())
        j["before_relaxation"] = counts_json(r.x_before_relaxation);
    j["fixed"] = fix;
    if (!fix) return;
    int64_t n = 0;
    r.x = fix_mirrored(r.x, centres, &n);
    j["mirrored_back"] = n;
    if (r.x_before_relaxation.defined())
        r.x_before_relaxation = fix_mirrored(r.x_before_relaxation, centres);
    j["after_fix"] = counts_json(r.x);
}

}  // namespace pita
