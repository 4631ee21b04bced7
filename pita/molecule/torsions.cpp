#include "pita/molecule/torsions.h"

#include <optional>
#include <utility>

#include <ATen/ATen.h>

#include "pita/core/error.h"

namespace pita {

namespace {

/// The backbone atoms of one residue that take part in torsions (indices, or none).
struct Backbone {
    std::string label;          // e.g. "ALA2"
    std::optional<int64_t> n;   // amide N
    std::optional<int64_t> ca;  // CA, or a cap's methyl carbon (for ω only)
    std::optional<int64_t> c;   // carbonyl C
    bool amino_acid = false;    // has N, CA and C of its own: φ and ψ are defined
};

bool is_n_cap(const std::string& residue) { return residue == "ACE" || residue == "FOR"; }
bool is_c_cap(const std::string& residue) { return residue == "NME" || residue == "NHE"; }

std::vector<std::vector<size_t>> residues_in_order(const std::vector<PdbAtom>& atoms) {
    std::vector<std::vector<size_t>> residues;
    for (size_t i = 0; i < atoms.size(); ++i) {
        const bool same = i > 0 && atoms[i].chain == atoms[i - 1].chain &&
                          atoms[i].residue_number == atoms[i - 1].residue_number &&
                          atoms[i].residue_name == atoms[i - 1].residue_name;
        if (!same) residues.emplace_back();
        residues.back().push_back(i);
    }
    return residues;
}

Backbone backbone_of(const std::vector<PdbAtom>& atoms, const std::vector<size_t>& residue) {
    Backbone b;
    const PdbAtom& first = atoms[residue.front()];
    b.label = first.residue_name + std::to_string(first.residue_number);
    auto find = [&](const std::string& name) -> std::optional<int64_t> {
        for (const size_t i : residue)
            if (atoms[i].name == name) return static_cast<int64_t>(i);
        return std::nullopt;
    };
    if (is_n_cap(first.residue_name)) {
        b.c = find("C");
        b.ca = find("CH3");
    } else if (is_c_cap(first.residue_name)) {
        b.n = find("N");
        b.ca = find("CH3");
        if (!b.ca) b.ca = find("C");  // OpenMM/amber name NME's methyl carbon "C"
    } else {
        b.n = find("N");
        b.ca = find("CA");
        b.c = find("C");
        b.amino_acid = b.n && b.ca && b.c;
    }
    return b;
}

}  // namespace

std::vector<Torsion> backbone_torsions(const std::vector<PdbAtom>& atoms) {
    const std::vector<std::vector<size_t>> residues = residues_in_order(atoms);
    std::vector<Backbone> bb;
    std::vector<std::string> chains;
    for (const auto& r : residues) {
        bb.push_back(backbone_of(atoms, r));
        chains.push_back(atoms[r.front()].chain);
    }
    std::vector<Torsion> phi, psi, omega;
    for (size_t i = 0; i < bb.size(); ++i) {
        const bool has_prev = i > 0 && chains[i - 1] == chains[i];
        const bool has_next = i + 1 < bb.size() && chains[i + 1] == chains[i];
        const Backbone& b = bb[i];
        if (b.amino_acid && has_prev && bb[i - 1].c)
            phi.push_back({"phi " + b.label, "phi", {*bb[i - 1].c, *b.n, *b.ca, *b.c}});
        if (b.amino_acid && has_next && bb[i + 1].n)
            psi.push_back({"psi " + b.label, "psi", {*b.n, *b.ca, *b.c, *bb[i + 1].n}});
        if (has_next && b.ca && b.c && bb[i + 1].n && bb[i + 1].ca)
            omega.push_back({"omega " + b.label + "-" + bb[i + 1].label,
                             "omega",
                             {*b.ca, *b.c, *bb[i + 1].n, *bb[i + 1].ca}});
    }
    std::vector<Torsion> all = std::move(phi);
    all.insert(all.end(), psi.begin(), psi.end());
    all.insert(all.end(), omega.begin(), omega.end());
    return all;
}

std::vector<Torsion> torsions_of_kind(const std::vector<Torsion>& torsions,
                                      const std::string& kind) {
    std::vector<Torsion> out;
    for (const Torsion& t : torsions)
        if (t.kind == kind) out.push_back(t);
    return out;
}

at::Tensor torsion_atoms(const std::vector<Torsion>& torsions) {
    at::Tensor out = at::empty({static_cast<int64_t>(torsions.size()), 4}, at::kLong);
    auto a = out.accessor<int64_t, 2>();
    for (size_t t = 0; t < torsions.size(); ++t)
        for (size_t k = 0; k < 4; ++k)
            a[static_cast<int64_t>(t)][static_cast<int64_t>(k)] = torsions[t].atoms[k];
    return out;
}

at::Tensor dihedral_angles(const at::Tensor& x_in, const at::Tensor& atoms) {
    PITA_CHECK(x_in.dim() == 2 || x_in.dim() == 3,
               "[torsions] positions: got {} dimensions; expected [batch, n_atoms, 3] or "
               "[n_atoms, 3].",
               x_in.dim());
    const at::Tensor x = x_in.dim() == 2 ? x_in.unsqueeze(0) : x_in;
    PITA_CHECK(x.size(2) == 3, "[torsions] positions: got {} coordinates per atom; expected 3.",
               x.size(2));
    PITA_CHECK(atoms.dim() == 2 && atoms.size(1) == 4 && atoms.scalar_type() == at::kLong,
               "[torsions] atom quadruples: got shape [{}] of {}; expected [n_torsions, 4] int64.",
               fmt::join(atoms.sizes(), ", "), c10::toString(atoms.scalar_type()));
    if (atoms.numel() > 0) {
        const int64_t lo = atoms.min().item<int64_t>();
        const int64_t hi = atoms.max().item<int64_t>();
        PITA_CHECK(lo >= 0 && hi < x.size(1),
                   "[torsions] atom index out of range: got [{}, {}]; expected [0, {}).", lo, hi,
                   x.size(1));
    }
    const at::Tensor idx = atoms.to(x.device());
    auto pick = [&](int64_t k) { return x.index_select(1, idx.select(1, k)); };  // [B, T, 3]
    const at::Tensor b1 = pick(1) - pick(0);
    const at::Tensor b2 = pick(2) - pick(1);
    const at::Tensor b3 = pick(3) - pick(2);
    const at::Tensor angle = dihedral_of_bonds(b1, b2, b3);
    return x_in.dim() == 2 ? angle.squeeze(0) : angle;
}

at::Tensor dihedral_of_bonds(const at::Tensor& b1, const at::Tensor& b2, const at::Tensor& b3) {
    const at::Tensor n1 = at::cross(b1, b2, -1);
    const at::Tensor n2 = at::cross(b2, b3, -1);
    // atan2(|b2|·b1·(b2×b3), (b1×b2)·(b2×b3)): IUPAC sign, well conditioned near 0 and π.
    const at::Tensor y = b2.norm(2, -1) * (b1 * n2).sum(-1);
    return at::atan2(y, (n1 * n2).sum(-1));
}

std::vector<Torsion> ramachandran_torsions(const std::vector<PdbAtom>& atoms) {
    const std::vector<Torsion> all = backbone_torsions(atoms);
    std::vector<Torsion> out = torsions_of_kind(all, "phi");
    const std::vector<Torsion> psi = torsions_of_kind(all, "psi");
    out.insert(out.end(), psi.begin(), psi.end());
    return out;
}

}  // namespace pita
