// Backbone torsions from the PDB topology, and dihedral angles against hand-made geometries and
// OpenMM's own dihedral (CustomTorsionForce "theta", Reference platform).
#ifdef PITA_WITH_OPENMM

#include "pita/molecule/torsions.h"

#include <array>
#include <cmath>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <OpenMM.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "pita/core/error.h"
#include "pita/core/rng.h"
#include "pita/molecule/pdb.h"
#include "support/text_helpers.h"

namespace pita {
namespace {

using testing::source_path;

constexpr double kPiValue = 3.141592653589793;

std::vector<std::string> names_of(const std::vector<Torsion>& ts) {
    std::vector<std::string> out;
    for (const Torsion& t : ts) out.push_back(t.name);
    return out;
}

/// OpenMM's dihedral of each quadruple in each configuration (nm), via CustomTorsionForce.
at::Tensor openmm_dihedrals(const at::Tensor& x, const std::vector<Torsion>& ts) {
    const int64_t n = x.size(1);
    OpenMM::System system;
    for (int64_t i = 0; i < n; ++i) system.addParticle(1.0);
    for (size_t t = 0; t < ts.size(); ++t) {
        auto* f = new OpenMM::CustomTorsionForce("theta");
        f->addTorsion(static_cast<int>(ts[t].atoms[0]), static_cast<int>(ts[t].atoms[1]),
                      static_cast<int>(ts[t].atoms[2]), static_cast<int>(ts[t].atoms[3]));
        f->setForceGroup(static_cast<int>(t));
        system.addForce(f);
    }
    OpenMM::VerletIntegrator integrator(0.001);
    OpenMM::Context context(system, integrator, OpenMM::Platform::getPlatformByName("Reference"));
    at::Tensor out = at::empty({x.size(0), static_cast<int64_t>(ts.size())}, at::kDouble);
    for (int64_t b = 0; b < x.size(0); ++b) {
        std::vector<OpenMM::Vec3> pos;
        for (int64_t i = 0; i < n; ++i)
            pos.emplace_back(x[b][i][0].item<double>(), x[b][i][1].item<double>(),
                             x[b][i][2].item<double>());
        context.setPositions(pos);
        for (size_t t = 0; t < ts.size(); ++t)
            out[b][static_cast<int64_t>(t)] =
                context.getState(OpenMM::State::Energy, false, 1 << t).getPotentialEnergy();
    }
    return out;
}

TEST(Torsions, HandMadeGeometriesFollowTheIupacSign) {
    // b at the origin, c on +z, a on +x; d on +y, −y, −x, +x.
    const at::Tensor x = at::tensor({1.0, 0.0, 0.0,  0.0, 0.0,  0.0, 0.0, 0.0, 1.0, 0.0, 1.0,
                                     1.0, 0.0, -1.0, 1.0, -1.0, 0.0, 1.0, 1.0, 0.0, 1.0},
                                    at::kDouble)
                             .view({7, 3});
    const at::Tensor quads =
        at::tensor({0, 1, 2, 3, 0, 1, 2, 4, 0, 1, 2, 5, 0, 1, 2, 6}, at::kLong).view({4, 4});
    const at::Tensor a = dihedral_angles(x, quads);
    ASSERT_EQ(a.sizes(), (std::vector<int64_t>{4}));
    EXPECT_NEAR(a[0].item<double>(), kPiValue / 2, 1e-12);  // +90°: a turns clockwise onto d
    EXPECT_NEAR(a[1].item<double>(), -kPiValue / 2, 1e-12);
    EXPECT_NEAR(std::abs(a[2].item<double>()), kPiValue, 1e-12);  // trans
    EXPECT_NEAR(a[3].item<double>(), 0.0, 1e-12);                 // cis
    // Batched, float32, and invariant under a common shift and scale.
    const at::Tensor batch = at::stack({x, 2.5 * x + 3.0}).to(at::kFloat);
    const at::Tensor ab = dihedral_angles(batch, quads);
    ASSERT_EQ(ab.sizes(), (std::vector<int64_t>{2, 4}));
    EXPECT_NEAR(ab[1][0].item<double>(), kPiValue / 2, 1e-6);
    EXPECT_NEAR(ab[1][1].item<double>(), -kPiValue / 2, 1e-6);
    EXPECT_THROW(dihedral_angles(x, at::tensor({0, 1, 2, 7}, at::kLong).view({1, 4})), ConfigError);
}

TEST(Torsions, BackboneOfAlanineDipeptideAndTheOligomers) {
    const std::vector<Torsion> aldp =
        backbone_torsions(read_pdb_atoms(source_path("data/molecules/aldp.pdb")));
    EXPECT_THAT(names_of(aldp), ::testing::ElementsAre("phi ALA2", "psi ALA2", "omega ACE1-ALA2",
                                                       "omega ALA2-NME3"));
    // 0-based: ACE C 4; ALA N 6, CA 8, C 14; NME N 16, methyl C 18; ACE CH3 1.
    EXPECT_EQ(aldp[0].atoms, (std::array<int64_t, 4>{4, 6, 8, 14}));
    EXPECT_EQ(aldp[1].atoms, (std::array<int64_t, 4>{6, 8, 14, 16}));
    EXPECT_EQ(aldp[2].atoms, (std::array<int64_t, 4>{1, 4, 6, 8}));
    EXPECT_EQ(aldp[3].atoms, (std::array<int64_t, 4>{8, 14, 16, 18}));
    EXPECT_EQ(torsions_of_kind(aldp, "psi").size(), 1u);

    const std::vector<Torsion> aaa =
        backbone_torsions(read_pdb_atoms(source_path("data/molecules/aaa.pdb")));
    EXPECT_THAT(names_of(aaa),
                ::testing::ElementsAre("phi ALA2", "phi ALA3", "psi ALA1", "psi ALA2",
                                       "omega ALA1-ALA2", "omega ALA2-ALA3"));
    const std::vector<Torsion> aaaa =
        backbone_torsions(read_pdb_atoms(source_path("data/molecules/aaaa.pdb")));
    EXPECT_EQ(torsions_of_kind(aaaa, "phi").size(), 3u);
    EXPECT_EQ(torsions_of_kind(aaaa, "psi").size(), 3u);
    EXPECT_EQ(torsions_of_kind(aaaa, "omega").size(), 3u);
}

TEST(Torsions, AnglesMatchOpenMMOnPeptides) {
    at::Generator gen = make_generator(11);
    for (const char* name : {"aldp", "aaaa"}) {
        const std::string pdb = source_path(std::string("data/molecules/") + name + ".pdb");
        const std::vector<Torsion> ts = backbone_torsions(read_pdb_atoms(pdb));
        const at::Tensor x0 = read_pdb_positions(pdb);
        const at::Tensor x = at::stack({x0, x0 + 0.03 * at::randn(x0.sizes(), gen, at::kDouble),
                                        x0 + 0.1 * at::randn(x0.sizes(), gen, at::kDouble)});
        const at::Tensor ours = dihedral_angles(x, torsion_atoms(ts));
        const at::Tensor theirs = openmm_dihedrals(x, ts);
        // Same angle modulo 2π (both in [−π, π]; only ±π could differ).
        const at::Tensor diff = at::remainder(ours - theirs + kPiValue, 2 * kPiValue) - kPiValue;
        EXPECT_LT(diff.abs().max().item<double>(), 1e-10) << name;
        // The PDB structures are trans peptides: |ω| > 130° (AAAA has 140°).
        for (size_t t = 0; t < ts.size(); ++t) {
            if (ts[t].kind != "omega") continue;
            EXPECT_GT(std::abs(ours[0][static_cast<int64_t>(t)].item<double>()), 2.3)
                << name << " " << ts[t].name;
        }
    }
}

}  // namespace
}  // namespace pita

#endif  // PITA_WITH_OPENMM
