#include "pita/metrics/peptide_features.h"

#include <algorithm>
#include <cctype>

#include <ATen/ATen.h>
#include <fmt/format.h>

#include "pita/core/error.h"
#include "pita/molecule/torsions.h"

namespace pita {

int64_t PeptideFeatureSpec::size() const {
    const auto p = static_cast<int64_t>(atoms.size());
    return p * (p - 1) / 2 + 2 * static_cast<int64_t>(torsions.size());
}

std::vector<int64_t> tica_feature_atoms(const std::vector<std::string>& elements) {
    std::vector<int64_t> out;
    for (std::size_t i = 0; i < elements.size(); ++i) {
        std::string e = elements[i];
        std::transform(e.begin(), e.end(), e.begin(),
                       [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
        if (e == "C" || e == "N" || e == "S") out.push_back(static_cast<int64_t>(i));
    }
    return out;
}

at::Tensor peptide_features(const at::Tensor& x, const PeptideFeatureSpec& spec) {
    PITA_CHECK(x.dim() == 3 && x.size(2) == 3,
               "[tica] peptide features: got samples of shape [{}]; expected [N, n_atoms, 3].",
               fmt::join(x.sizes(), ", "));
    PITA_CHECK(spec.size() > 0,
               "[tica] peptide features: no features (the molecule has {} C/N/S atoms and {} "
               "backbone torsions); expected a peptide.",
               spec.atoms.size(), spec.torsions.size());
    for (const int64_t a : spec.atoms)
        PITA_CHECK(a >= 0 && a < x.size(1),
                   "[tica] peptide features: atom index {} out of range for {} atoms.", a,
                   x.size(1));
    const at::Tensor xd = x.to(at::kDouble);
    std::vector<at::Tensor> parts;
    const auto p = static_cast<int64_t>(spec.atoms.size());
    if (p > 1) {
        const at::Tensor heavy = xd.index_select(1, at::tensor(spec.atoms, at::kLong));
        const at::Tensor pairs = at::triu_indices(p, p, 1, at::kLong);  // [2, P(P − 1)/2]
        const at::Tensor d = heavy.index_select(1, pairs[0]) - heavy.index_select(1, pairs[1]);
        parts.push_back(d.pow(2).sum(2).sqrt());
    }
    if (!spec.torsions.empty()) {
        std::vector<int64_t> flat;
        for (const auto& q : spec.torsions) flat.insert(flat.end(), q.begin(), q.end());
        const at::Tensor angles = dihedral_angles(
            xd, at::tensor(flat, at::kLong).view({static_cast<int64_t>(spec.torsions.size()), 4}));
        // [N, T, 2] → [N, 2T]: sin θ_k, cos θ_k side by side per torsion.
        parts.push_back(at::stack({angles.sin(), angles.cos()}, 2).flatten(1));
    }
    return at::cat(parts, 1);
}

}  // namespace pita
