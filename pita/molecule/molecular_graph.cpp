#include "pita/molecule/molecular_graph.h"

#include <algorithm>

#include <ATen/ATen.h>

#include "pita/core/error.h"

namespace pita {

namespace {

constexpr double kHeavyAtomMass = 1.5;  // amu: anything but hydrogen

at::Tensor index_tensor(const std::vector<int64_t>& v) { return at::tensor(v, at::kLong); }

}  // namespace

MolecularGraph make_molecular_graph(std::vector<Bond> bonds, const at::Tensor& masses,
                                    const at::Tensor& reference_positions) {
    const int64_t n = masses.size(0);
    std::vector<std::vector<int64_t>> neighbours(static_cast<std::size_t>(n));
    for (const Bond& b : bonds) {
        PITA_CHECK(b.a >= 0 && b.a < n && b.b >= 0 && b.b < n && b.a != b.b,
                   "[molecule] bond ({}, {}) outside the {} atoms.", b.a, b.b, n);
        neighbours[static_cast<std::size_t>(b.a)].push_back(b.b);
        neighbours[static_cast<std::size_t>(b.b)].push_back(b.a);
    }
    const at::Tensor m = masses.to(at::kCPU, at::kDouble).contiguous();
    const double* mass = m.data_ptr<double>();
    MolecularGraph g;
    g.bonds = std::move(bonds);
    for (int64_t i = 0; i < n; ++i) {
        std::vector<int64_t>& nb = neighbours[static_cast<std::size_t>(i)];
        if (nb.size() != 4) continue;
        const auto heavy = std::count_if(nb.begin(), nb.end(),
                                         [&](int64_t j) { return mass[j] > kHeavyAtomMass; });
        if (heavy <= 2) continue;
        std::sort(nb.begin(), nb.end());
        ChiralCentre c;
        c.centre = i;
        c.neighbours = {nb[0], nb[1], nb[2]};
        g.chiral_centres.push_back(c);
    }
    if (!g.chiral_centres.empty()) {
        const at::Tensor s = chirality_signs(
            reference_positions.to(at::kCPU, at::kDouble).unsqueeze(0), g.chiral_centres);
        for (std::size_t k = 0; k < g.chiral_centres.size(); ++k) {
            const double sign = s[0][static_cast<int64_t>(k)].item<double>();
            PITA_CHECK(sign != 0,
                       "[molecule] chirality centre at atom {} is planar in the "
                       "reference structure; its handedness is undefined.",
                       g.chiral_centres[k].centre);
            g.chiral_centres[k].reference_sign = sign;
        }
    }
    return g;
}

at::Tensor chirality_signs(const at::Tensor& x, const std::vector<ChiralCentre>& centres) {
    const at::Tensor xd = x.to(at::kDouble);
    if (centres.empty()) return at::zeros({x.size(0), 0}, xd.options());
    std::vector<int64_t> c, n1, n2, n3;
    for (const ChiralCentre& k : centres) {
        c.push_back(k.centre);
        n1.push_back(k.neighbours[0]);
        n2.push_back(k.neighbours[1]);
        n3.push_back(k.neighbours[2]);
    }
    auto atoms = [&](const std::vector<int64_t>& idx) {
        return xd.index_select(1, index_tensor(idx).to(xd.device()));
    };
    const at::Tensor centre = atoms(c);
    const at::Tensor v1 = atoms(n1) - centre;
    const at::Tensor v2 = atoms(n2) - centre;
    const at::Tensor v3 = atoms(n3) - centre;
    return (v1 * at::cross(v2, v3, -1)).sum(-1).sign();
}

ChiralityCounts count_chirality(const at::Tensor& x, const std::vector<ChiralCentre>& centres) {
    ChiralityCounts counts;
    if (centres.empty()) {
        counts.l_form = x.size(0);
        return counts;
    }
    std::vector<double> ref;
    for (const ChiralCentre& k : centres) ref.push_back(k.reference_sign);
    const at::Tensor s = chirality_signs(x, centres).cpu();
    const at::Tensor same = s.eq(at::tensor(ref, at::kDouble).unsqueeze(0));
    const at::Tensor all_same = same.all(1);
    const at::Tensor all_flipped = (~same).all(1);
    counts.l_form = all_same.sum().item<int64_t>();
    counts.mirrored = all_flipped.sum().item<int64_t>();
    counts.mixed = x.size(0) - counts.l_form - counts.mirrored;
    return counts;
}

at::Tensor is_l_form(const at::Tensor& x, const std::vector<ChiralCentre>& centres) {
    if (centres.empty()) return at::ones({x.size(0)}, at::TensorOptions(at::kBool));
    std::vector<double> ref;
    for (const ChiralCentre& k : centres) ref.push_back(k.reference_sign);
    return chirality_signs(x, centres).cpu().eq(at::tensor(ref, at::kDouble).unsqueeze(0)).all(1);
}

at::Tensor fix_mirrored(const at::Tensor& x, const std::vector<ChiralCentre>& centres,
                        int64_t* n_fixed) {
    if (centres.empty()) {
        if (n_fixed != nullptr) *n_fixed = 0;
        return x;
    }
    std::vector<double> ref;
    for (const ChiralCentre& k : centres) ref.push_back(k.reference_sign);
    const at::Tensor s = chirality_signs(x, centres).cpu();
    const at::Tensor mirrored = s.eq(-at::tensor(ref, at::kDouble).unsqueeze(0)).all(1);
    if (n_fixed != nullptr) *n_fixed = mirrored.sum().item<int64_t>();
    const at::Tensor flip = 1.0 - 2.0 * mirrored.to(x.scalar_type());
    return x * flip.to(x.device()).view({-1, 1, 1});
}

at::Tensor has_broken_bond(const at::Tensor& x, const std::vector<Bond>& bonds, double factor) {
    if (bonds.empty()) return at::zeros({x.size(0)}, at::TensorOptions(at::kBool));
    std::vector<int64_t> a, b;
    std::vector<double> r0;
    for (const Bond& bond : bonds) {
        a.push_back(bond.a);
        b.push_back(bond.b);
        r0.push_back(bond.length);
    }
    const at::Tensor xd = x.to(at::kDouble);
    const at::Tensor d = (xd.index_select(1, index_tensor(a).to(xd.device())) -
                          xd.index_select(1, index_tensor(b).to(xd.device())))
                             .norm(2, -1)
                             .cpu();
    return d.gt(factor * at::tensor(r0, at::kDouble).unsqueeze(0)).any(1);
}

}  // namespace pita
