// TICA and the TICA-W1/W2 metric of peptides (pita/metrics/tica.h, peptide_features.h): the fit
// against an AR(1) process whose slow coordinate and lagged autocorrelation are known, the W's
// against a shift whose distance is known, and the fit on the shipped ALDP and AL3 references
// (feature counts, what TIC0 sees, the floor between halves), then evaluate_samples' "tica".
#include <algorithm>
#include <chrono>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <ATen/ATen.h>

#include "pita/core/error.h"
#include "pita/core/rng.h"
#include "pita/io/npy.h"
#include "pita/metrics/evaluation.h"
#include "pita/metrics/peptide_features.h"
#include "pita/metrics/tica.h"
#include "pita/molecule/pdb.h"
#include "pita/molecule/torsions.h"
#include "support/test_helpers.h"
#ifdef PITA_WITH_OPENMM
#include "pita/molecule/molecule.h"
#include "support/molecule_helpers.h"
#endif

namespace pita {
namespace {

using ::testing::HasSubstr;

double correlation(const at::Tensor& a, const at::Tensor& b) {
    const at::Tensor x = a.to(at::kDouble) - a.to(at::kDouble).mean();
    const at::Tensor y = b.to(at::kDouble) - b.to(at::kDouble).mean();
    return (x * y).sum().item<double>() /
           std::sqrt((x * x).sum().item<double>() * (y * y).sum().item<double>());
}

/// `chains` stationary AR(1) chains of two independent coordinates s_k(t + 1) = ρ_k s_k(t) +
/// sqrt(1 − ρ_k²) ε with unit variance (so s_k(t) and s_k(t + lag) correlate by ρ_k^lag), seen
/// through the features f = M s; rows frame-major as the references (row chains·t + c).
struct Ar1 {
    at::Tensor features;  // [chains·frames, 2]
    at::Tensor latent;    // [chains·frames, 2]
};

Ar1 ar1_process(int64_t chains, int64_t frames, double rho_slow, double rho_fast, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> normal(0.0, 1.0);
    const double rho[2] = {rho_slow, rho_fast};
    std::vector<double> s(static_cast<std::size_t>(chains * 2));
    for (double& v : s) v = normal(rng);  // stationary start: no burn-in needed
    at::Tensor latent = at::empty({chains * frames, 2}, testing::kF64);
    auto acc = latent.accessor<double, 2>();
    for (int64_t t = 0; t < frames; ++t)
        for (int64_t c = 0; c < chains; ++c)
            for (int k = 0; k < 2; ++k) {
                double& v = s[static_cast<std::size_t>(2 * c + k)];
                if (t > 0) v = rho[k] * v + std::sqrt(1 - rho[k] * rho[k]) * normal(rng);
                acc[t * chains + c][k] = v;
            }
    const at::Tensor mix = at::tensor({1.0, 0.6, -0.8, 1.0}, testing::kF64).view({2, 2});
    return {at::matmul(latent, mix.t()) + at::tensor({3.0, -1.0}, testing::kF64), latent};
}

TEST(Tica, RecoversTheSlowCoordinateAndItsLaggedAutocorrelationOfAnAr1Process) {
    // ρ = 0.99 per step (integrated autocorrelation time ~200 steps) and 0.1, mixed by M; 8
    // chains of 20 000 steps, lag 10: λ0 = 0.99^10 = 0.904, λ1 = 0.1^10 ≈ 0. The slow
    // coordinate's statistical error: ~800 effective samples of 160 000 give an estimated
    // autocorrelation good to ~0.01 (across seeds the error of λ0 had a spread of 0.006); the
    // tolerance 0.03 is five of those. A fit that paired rows t and t + lag (mixing chains)
    // would see a lag of 10/8 steps, λ0 ≈ 0.988, and fail.
    const int64_t lag = 10;
    const Ar1 p = ar1_process(8, 20000, 0.99, 0.1, 7);
    const TicaModel m = fit_tica(p.features, 8, lag, 2);
    ASSERT_EQ(m.eigenvalues.size(), 2u);
    EXPECT_NEAR(m.eigenvalues[0], std::pow(0.99, lag), 0.03);
    EXPECT_NEAR(m.eigenvalues[1], 0.0, 0.02);
    EXPECT_EQ(m.lag, lag);
    EXPECT_EQ(m.pairs, 8 * (20000 - lag));
    const at::Tensor tic = project_tica(m, p.features);
    // TIC0 is the slow coordinate, TIC1 the fast one, each with unit variance and zero mean.
    EXPECT_GT(std::abs(correlation(tic.select(1, 0), p.latent.select(1, 0))), 0.99);
    EXPECT_GT(std::abs(correlation(tic.select(1, 1), p.latent.select(1, 1))), 0.99);
    EXPECT_NEAR(tic.var(0, /*unbiased=*/false)[0].item<double>(), 1.0, 0.01);
    EXPECT_NEAR(tic.var(0, /*unbiased=*/false)[1].item<double>(), 1.0, 0.01);
    EXPECT_NEAR(tic.mean(0)[0].item<double>(), 0.0, 0.01);
    // Deterministic sign: a refit of the negated features gives the same TICs up to the sign
    // convention (largest |coefficient| positive), so the components are the negatives' negated.
    const TicaModel neg = fit_tica(-p.features, 8, lag, 2);
    for (std::size_t k = 0; k < 2; ++k)
        for (std::size_t j = 0; j < 2; ++j)
            EXPECT_NEAR(std::abs(neg.components[k][j]), std::abs(m.components[k][j]), 1e-9);
    const auto largest = [](const std::vector<double>& v) {
        return *std::max_element(v.begin(), v.end(),
                                 [](double a, double b) { return std::abs(a) < std::abs(b); });
    };
    EXPECT_GT(largest(m.components[0]), 0.0);
    EXPECT_GT(largest(neg.components[0]), 0.0);
}

TEST(Tica, RejectsBadLayoutsAndNonFiniteFeatures) {
    const at::Tensor f = at::randn({80, 3}, testing::kF64);
    EXPECT_THAT(testing::error_message([&] { fit_tica(f, 3, 1); }), HasSubstr("divisor"));
    EXPECT_THAT(testing::error_message([&] { fit_tica(f, 8, 10); }), HasSubstr("lag"));
    EXPECT_THAT(testing::error_message([&] { fit_tica(f, 8, 2, 4); }), HasSubstr("components"));
    at::Tensor g = f.clone();
    g[5][1] = NAN;
    EXPECT_THROW(fit_tica(g, 8, 2), NumericalError);
}

TEST(Tica, DistancesAreZeroForIdenticalSetsAndTheShiftForAShiftedCopy) {
    at::Generator gen = make_generator(3);
    const at::Tensor a = at::randn({200, 2}, gen, testing::kF64);
    const TicaDistances same = tica_distances(a, a);
    EXPECT_NEAR(same.w1, 0.0, 1e-12);
    EXPECT_NEAR(same.w2, 0.0, 1e-12);
    // A translation by v moves every W_p by exactly |v|: the identity coupling costs |v|, and
    // W1 >= |E[X] − E[Y]| = |v| (and W2 >= W1) bounds it below.
    const TicaDistances shifted = tica_distances(a, a + at::tensor({0.3, -0.4}, testing::kF64));
    EXPECT_NEAR(shifted.w1, 0.5, 1e-9);
    EXPECT_NEAR(shifted.w2, 0.5, 1e-9);
    // A different set is at a positive distance, W2 >= W1.
    const TicaDistances other = tica_distances(a, 2.0 * at::randn({200, 2}, gen, testing::kF64));
    EXPECT_GT(other.w1, 0.1);
    EXPECT_GE(other.w2, other.w1 - 1e-12);
}

/// The features of a shipped peptide from its PDB alone (elements from the element column).
PeptideFeatureSpec spec_of(const std::string& molecule) {
    const std::vector<PdbAtom> atoms =
        read_pdb_atoms(std::string(PITA_SOURCE_DIR) + "/data/molecules/" + molecule + ".pdb");
    std::vector<std::string> elements;
    for (const PdbAtom& a : atoms) elements.push_back(a.element);
    PeptideFeatureSpec spec;
    spec.atoms = tica_feature_atoms(elements);
    for (const Torsion& t : backbone_torsions(atoms)) spec.torsions.push_back(t.atoms);
    return spec;
}

TEST(Tica, PeptideFeaturesAreTheHeavyAtomDistancesAndTorsionSinesAndCosines) {
    // ALDP: C/N atoms CH3, C (ACE), N, CA, CB, C (ALA), N, C (NME) = 8 → 28 distances; φ, ψ and
    // two ω → 8. AL3 (zwitterionic): N, CA, CB, C of each residue = 12 → 66; φ2, φ3, ψ1, ψ2,
    // ω12, ω23 → 12.
    const PeptideFeatureSpec aldp = spec_of("aldp");
    EXPECT_EQ(aldp.atoms, (std::vector<int64_t>{1, 4, 6, 8, 10, 14, 16, 18}));
    EXPECT_EQ(aldp.torsions.size(), 4u);
    EXPECT_EQ(aldp.size(), 36);
    EXPECT_EQ(spec_of("aaa").size(), 78);
    // Against a direct computation on the first reference sample.
    const at::Tensor x =
        read_npy(std::string(PITA_SOURCE_DIR) + "/data/aldp/reference/T300/samples.npy")
            .slice(0, 0, 3)
            .to(at::kDouble);
    const at::Tensor f = peptide_features(x, aldp);
    ASSERT_EQ(f.sizes(), (std::vector<int64_t>{3, 36}));
    // Distance CH3–C (pair 0) and CA–C of ALA (atoms 8, 14: pair index of (3, 5) among 8).
    EXPECT_NEAR(f[0][0].item<double>(), (x[0][1] - x[0][4]).norm().item<double>(), 1e-12);
    const int64_t pair_3_5 = 7 + 6 + 5 + 1;  // rows 0, 1, 2 hold 7, 6, 5 pairs; then (3, 5)
    EXPECT_NEAR(f[0][pair_3_5].item<double>(), (x[0][8] - x[0][14]).norm().item<double>(), 1e-12);
    const at::Tensor phi = dihedral_angles(
        x, torsion_atoms(backbone_torsions(
               read_pdb_atoms(std::string(PITA_SOURCE_DIR) + "/data/molecules/aldp.pdb"))));
    EXPECT_NEAR(f[1][28].item<double>(), std::sin(phi[1][0].item<double>()), 1e-12);
    EXPECT_NEAR(f[1][29].item<double>(), std::cos(phi[1][0].item<double>()), 1e-12);
    EXPECT_NEAR(f[2][35].item<double>(), std::cos(phi[2][3].item<double>()), 1e-12);
}

struct ReferenceFit {
    TicaModel model;
    at::Tensor tic;  // [8000, 2]
    at::Tensor phi;  // [8000, n_torsions] every backbone torsion, radians (φ first)
    // Features + fit: printed, not asserted (no test depends on wall-clock speed; under ASan
    // the AL3 fit took 2.6 s).
    double seconds{};
};

ReferenceFit fit_reference(const std::string& molecule, const std::string& data) {
    const PeptideFeatureSpec spec = spec_of(molecule);
    const at::Tensor x =
        read_npy(std::string(PITA_SOURCE_DIR) + "/data/" + data + "/reference/T300/samples.npy")
            .to(at::kDouble);
    const auto start = std::chrono::steady_clock::now();
    const at::Tensor f = peptide_features(x, spec);
    ReferenceFit r{fit_tica(f, 8, 10, 2), {}, {}, 0};
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    r.tic = project_tica(r.model, f);
    // The torsions (backbone_torsions: all φ first) from their sin and cos after the distances.
    const int64_t d = f.size(1) - 2 * static_cast<int64_t>(spec.torsions.size());
    const at::Tensor sc = f.slice(1, d).view({f.size(0), -1, 2});
    r.phi = at::atan2(sc.select(2, 0), sc.select(2, 1));  // [8000, n_torsions]
    return r;
}

TEST(Tica, AldpReferenceAt300KSeparatesThePhiBasinsWithASmallFloor) {
    const ReferenceFit r = fit_reference("aldp", "aldp");
    // Measured (2-core machine under load): λ = (0.217, 0.182), |corr(TIC0, 1[φ > 0])| = 0.82,
    // |corr(TIC0, φ)| = 0.43, features and fit 50 ms. TIC0 is the φ > 0 indicator, nearly: the
    // rare basins (1 % at 300 K) sit at TIC0 ≈ 8.6, the rest near 0. Chance would give
    // |corr| ~ 1/sqrt(600 effective samples) = 0.04.
    std::printf("ALDP 300 K: fit %.1f ms, eigenvalues %.4f %.4f\n", 1e3 * r.seconds,
                r.model.eigenvalues[0], r.model.eigenvalues[1]);
    EXPECT_GT(r.model.eigenvalues[0], r.model.eigenvalues[1]);
    EXPECT_LE(r.model.eigenvalues[0], 1.0);
    const at::Tensor phi = r.phi.select(1, 0);
    const at::Tensor positive = (phi > 0).to(at::kDouble);
    const double corr_indicator = std::abs(correlation(r.tic.select(1, 0), positive));
    std::printf("ALDP 300 K: |corr(TIC0, 1[phi > 0])| = %.3f, |corr(TIC0, phi)| = %.3f\n",
                corr_indicator, std::abs(correlation(r.tic.select(1, 0), phi)));
    EXPECT_GT(corr_indicator, 0.6);
    // Floor: the halves in time, 1000 rows each.
    at::Generator gen = make_generator(0);
    const at::Tensor first =
        r.tic.slice(0, 0, 4000).index_select(0, at::randperm(4000, gen).slice(0, 0, 1000));
    const at::Tensor second =
        r.tic.slice(0, 4000, 8000).index_select(0, at::randperm(4000, gen).slice(0, 0, 1000));
    const TicaDistances floor = tica_distances(first, second);
    // Measured: W1 0.24, W2 0.89. W2 is large for a floor because of the rare basins: 1000 rows
    // of either half hold 10 ± 3 of them at TIC0 ≈ 8.6, and each one in excess moves 1/1000 of
    // the mass ~8.6 (W2² ≈ 3·75/1000). W1 weighs that distance once, not squared.
    std::printf("ALDP 300 K floor (1000 rows): W1 %.4f W2 %.4f\n", floor.w1, floor.w2);
    EXPECT_LT(floor.w1, 0.4);
    EXPECT_LT(floor.w2, 1.5);
}

TEST(Tica, Al3ReferenceAt300KFitsWithAFloorReported) {
    const ReferenceFit r = fit_reference("aaa", "aaa");
    std::printf("AL3 300 K: fit %.1f ms, eigenvalues %.4f %.4f\n", 1e3 * r.seconds,
                r.model.eigenvalues[0], r.model.eigenvalues[1]);
    EXPECT_GT(r.model.eigenvalues[0], r.model.eigenvalues[1]);
    EXPECT_LE(r.model.eigenvalues[0], 1.0);
    for (int64_t k = 0; k < 2; ++k)  // φ ALA2, φ ALA3: torsions 0 and 1
        std::printf(
            "AL3 300 K: |corr(TIC0, 1[phi %lld > 0])| = %.3f, |corr(TIC0, phi)| = %.3f\n",
            static_cast<long long>(k),
            std::abs(correlation(r.tic.select(1, 0), (r.phi.select(1, k) > 0).to(at::kDouble))),
            std::abs(correlation(r.tic.select(1, 0), r.phi.select(1, k))));
    at::Generator gen = make_generator(0);
    const at::Tensor first =
        r.tic.slice(0, 0, 4000).index_select(0, at::randperm(4000, gen).slice(0, 0, 1000));
    const at::Tensor second =
        r.tic.slice(0, 4000, 8000).index_select(0, at::randperm(4000, gen).slice(0, 0, 1000));
    const TicaDistances floor = tica_distances(first, second);
    // Measured: λ = (0.225, 0.194), features and fit 100 ms; floor W1 0.24, W2 1.56 (rare
    // states far out on TIC0, as ALDP's).
    std::printf("AL3 300 K floor (1000 rows): W1 %.4f W2 %.4f\n", floor.w1, floor.w2);
    EXPECT_LT(floor.w1, 0.4);
}

#ifdef PITA_WITH_OPENMM
TEST(Tica, EvaluateSamplesReportsTicaAgainstAPeptideReference) {
    const Molecule aldp(testing::molecule_params("aldp"));
    // The molecule knows its elements (6 C, 2 N, 2 O, 12 H) and all four backbone torsions.
    const MolecularGraph* graph = aldp.molecular_graph();
    ASSERT_NE(graph, nullptr);
    EXPECT_EQ(std::count(graph->elements.begin(), graph->elements.end(), "C"), 6);
    EXPECT_EQ(std::count(graph->elements.begin(), graph->elements.end(), "N"), 2);
    EXPECT_EQ(graph->backbone_torsions.size(), 4u);
    EvaluationOptions o;
    o.max_samples = 300;
    o.torsion_samples = 100;
    o.rugh_samples = 2;
    o.tica_samples = 300;
    add_target_torsions(aldp, o);
    EXPECT_EQ(o.tica_features.size(), 36);
    const std::string dir = std::string(PITA_SOURCE_DIR) + "/data/aldp/reference/T300";
    const at::Tensor x = read_npy(dir + "/samples.npy").to(at::kDouble);
    const at::Tensor e = read_npy(dir + "/energies.npy");
    // Unbiased: 600 reference rows, a perfect sampler's output; biased: only the φ > 0 rows (the
    // rare basins, 1 % at 300 K), which TIC0 tells apart.
    at::Generator gen = make_generator(1);
    const at::Tensor rows = at::randperm(8000, gen).slice(0, 0, 600);
    const nlohmann::json fair =
        evaluate_samples(aldp, x.index_select(0, rows), e.index_select(0, rows), 300, dir, o);
    ASSERT_TRUE(fair.contains("tica")) << fair.dump();
    const nlohmann::json& t = fair["tica"];
    for (const char* k : {"w1", "w2", "floor_w1", "floor_w2", "samples", "floor_samples",
                          "lag_frames", "lag_ps", "chains", "features", "eigenvalues"})
        EXPECT_TRUE(t.contains(k)) << k;
    EXPECT_EQ(t["samples"], 300);
    EXPECT_EQ(t["lag_frames"], 10);
    EXPECT_EQ(t["lag_ps"], 10.0);
    EXPECT_EQ(t["chains"], 8);
    EXPECT_EQ(t["features"], 36);
    EXPECT_EQ(t["eigenvalues"].size(), 2u);
    std::printf("ALDP 300 K, 300 reference rows: TICA W1 %.4f W2 %.4f, floor %.4f %.4f\n",
                t["w1"].get<double>(), t["w2"].get<double>(), t["floor_w1"].get<double>(),
                t["floor_w2"].get<double>());
    EXPECT_LT(t["w2"].get<double>(), 2.0 * t["floor_w2"].get<double>() + 0.05);
    const at::Tensor phi =
        dihedral_angles(x, torsion_atoms(aldp.ramachandran_torsions())).select(1, 0);
    const at::Tensor positive = at::nonzero(phi > 0).flatten();
    const nlohmann::json biased = evaluate_samples(aldp, x.index_select(0, positive),
                                                   e.index_select(0, positive), 300, dir, o);
    const nlohmann::json& b = biased["tica"];
    std::printf("ALDP 300 K, the %lld phi > 0 rows: TICA W1 %.4f W2 %.4f, floor %.4f %.4f\n",
                static_cast<long long>(positive.numel()), b["w1"].get<double>(),
                b["w2"].get<double>(), b["floor_w1"].get<double>(), b["floor_w2"].get<double>());
    EXPECT_GT(b["w2"].get<double>(), 5.0 * b["floor_w2"].get<double>());
    // A lag no chain is long enough for (1000 frames each; likewise a reference without md.json
    // beside it, whose chains are unknown): the metric is left out and says why.
    o.tica_lag = 5000;
    const nlohmann::json skipped =
        evaluate_samples(aldp, x.index_select(0, rows), e.index_select(0, rows), 300, dir, o);
    EXPECT_FALSE(skipped.contains("tica"));
    EXPECT_THAT(skipped.value("tica_skipped", ""), HasSubstr("lag"));
}

// P(φ > 0)'s error counts the lineages of the rows kept: a non-finite row drops out of its
// lineage, not the labels of the rest; labels that do not match the rows are refused with a note.
TEST(PositiveFraction, EvaluateSamplesCountsTheLineagesOfTheRowsItKeeps) {
    const Molecule aldp(testing::molecule_params("aldp"));
    EvaluationOptions o;
    o.rugh_samples = 2;
    add_target_torsions(aldp, o);
    const std::string dir = std::string(PITA_SOURCE_DIR) + "/data/aldp/reference/T755.95";
    at::Tensor x = read_npy(dir + "/samples.npy").to(at::kDouble).slice(0, 0, 64).clone();
    const at::Tensor e = read_npy(dir + "/energies.npy").slice(0, 0, 64);
    x[0][0][0] = NAN;
    o.sample_lineages = at::arange(64, at::kLong).div(8, "floor");  // 8 lineages of 8 rows
    const nlohmann::json m = evaluate_samples(aldp, x, e, 755.95, std::nullopt, o);
    ASSERT_EQ(m["samples_used"], 63);
    EXPECT_EQ(m["phi_positive"][0]["standard_error_from"], "lineages") << m.dump();
    EXPECT_EQ(m["phi_positive"][0]["lineages"], 8);
    EXPECT_FALSE(m.contains("sample_lineages_note"));
    o.sample_lineages = at::zeros({10}, at::kLong);
    const nlohmann::json misfit = evaluate_samples(aldp, x, e, 755.95, std::nullopt, o);
    EXPECT_EQ(misfit["phi_positive"][0]["standard_error_from"], "distinct samples");
    EXPECT_THAT(misfit.value("sample_lineages_note", ""), HasSubstr("10 lineage labels"));
}
#endif

}  // namespace
}  // namespace pita
