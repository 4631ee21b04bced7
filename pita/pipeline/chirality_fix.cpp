#include "pita/pipeline/chirality_fix.h"

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include "pita/config/config.h"
#include "pita/core/error.h"
#include "pita/energy/energy.h"
#include "pita/smc/resampling.h"

namespace pita {

namespace {
constexpr const char* kNoCentres =
    "the target has no chirality centres (only molecule targets with a tetrahedral centre "
    "have); remove the key.";

nlohmann::json counts_json(const at::Tensor& x, const std::vector<ChiralCentre>& centres) {
    const ChiralityCounts c = count_chirality(x, centres);
    return nlohmann::json{{"l_form", c.l_form}, {"mirrored", c.mirrored}, {"mixed", c.mixed}};
}

/// Keeps the samples that are L in r.x and, when there is one, in r.x_before_relaxation (a
/// relaxation from a strained start could in principle move a centre through the plane).
void drop_not_l(AnnealStageResult& r, const std::vector<ChiralCentre>& centres,
                nlohmann::json& record) {
    at::Tensor keep = is_l_form(r.x, centres);
    if (r.x_before_relaxation.defined()) keep &= is_l_form(r.x_before_relaxation, centres);
    const int64_t n = keep.numel();
    const at::Tensor rows = keep.nonzero().squeeze(1);
    PITA_CHECK_AS(NumericalError, rows.numel() > 0,
                  "[anneal] l_form_only: none of the {} annealed samples is L (every chirality "
                  "centre as in the molecule's structure), so none is left. If they are mirror "
                  "images, set anneal.fix_mirrored: true; otherwise the networks have not learned "
                  "the molecule's handedness: train longer (train.steps) or check the backbone.",
                  n);
    auto take = [&rows](at::Tensor& t) {
        if (t.defined()) t = t.index_select(0, rows.to(t.device()));
    };
    take(r.x);
    take(r.energy);
    take(r.x_before_relaxation);
    take(r.energy_before_relaxation);
    take(r.lineages);
    record["dropped_not_l"] = n - rows.numel();
    if (r.lineages.defined()) record["lineages_after_drop"] = count_unique(r.lineages);
    summarize_samples(r.summary, r.energy);
}
}  // namespace

ChiralityHandling read_chirality_handling(const ConfigNode& anneal) {
    ChiralityHandling h;
    h.fix_mirrored = anneal.get_bool("fix_mirrored", h.fix_mirrored);
    h.l_form_only = anneal.get_bool("l_form_only", h.l_form_only);
    return h;
}

/// The chiral centres of a molecule target; none for any other target.
std::vector<ChiralCentre> chiral_centres_of(const Energy& energy) {
    const MolecularGraph* graph = energy.molecular_graph();
    return graph != nullptr ? graph->chiral_centres : std::vector<ChiralCentre>{};
}

/// Both keys need chirality centres; a molecule with centres needs a backbone that can tell
/// enantiomers apart, or one of the keys: an E(3)-equivariant network (EGNN) gives a mirror image
/// the same density, so about half its samples come out D.
void check_chirality_options(const ConfigNode& root, const Energy& energy,
                             const std::string& backbone, const ChiralityHandling& handling) {
    const bool chiral = !chiral_centres_of(energy).empty();
    const ConfigNode anneal = root.child("anneal");
    if (handling.fix_mirrored && !chiral) anneal.error("fix_mirrored", kNoCentres);
    if (handling.l_form_only && !chiral) anneal.error("l_form_only", kNoCentres);
    if (chiral && !handling.any() && backbone == "egnn")
        root.child("model").error(
            "backbone",
            "egnn is E(3)-equivariant: it cannot tell a molecule from its mirror image, so about "
            "half its samples would be D. Use dit (or mlp), or set anneal.fix_mirrored: true to "
            "mirror the inverted samples back, or anneal.l_form_only: true to drop them (both "
            "counted in anneal.json).");
}

void require_centres_for(const std::vector<ChiralCentre>& centres,
                         const ChiralityHandling& handling) {
    if (!centres.empty()) return;
    PITA_CHECK(!handling.fix_mirrored, "[anneal] fix_mirrored: {}", kNoCentres);
    PITA_CHECK(!handling.l_form_only, "[anneal] l_form_only: {}", kNoCentres);
}

void check_and_fix_chirality(AnnealStageResult& r, const std::vector<ChiralCentre>& centres,
                             const ChiralityHandling& handling) {
    if (centres.empty()) return;
    nlohmann::json& j = r.summary["chirality"];
    j["before_fix"] = counts_json(r.x, centres);
    if (r.x_before_relaxation.defined())
        j["before_relaxation"] = counts_json(r.x_before_relaxation, centres);
    j["fixed"] = handling.fix_mirrored;
    j["l_form_only"] = handling.l_form_only;
    if (handling.fix_mirrored) {
        int64_t n = 0;
        r.x = fix_mirrored(r.x, centres, &n);
        j["mirrored_back"] = n;
        if (r.x_before_relaxation.defined())
            r.x_before_relaxation = fix_mirrored(r.x_before_relaxation, centres);
        j["after_fix"] = counts_json(r.x, centres);
    }
    if (handling.l_form_only) drop_not_l(r, centres, j);
}

}  // namespace pita
