// The per-noise-level score diagnostic against closed forms. A fresh preconditioned model (zero
// output layer) is exactly the score of N(0, (σ_data² + σ²)I) (tests/unit/anneal/
// learned_model_test.cpp), so on IsotropicGaussian(variance s²) data every column has a known
// expectation:
//   model with σ_data = s (exact):  exact 0; target σ²/(s² + σ²) (the TSM floor 1 − E‖s*‖²/E‖g0‖²);
//                                   dsm s²/(s² + σ²); cosine and the norm ratio as below.
//   model with σ_data = 2s:         exact (1 − (s² + σ²)/(4s² + σ²))², analytic.
// Tolerances: the estimates are means over N·D = 4096·3 squared Gaussians; their relative
// standard error is about sqrt(2/(N·D)) ≈ 1.3 %, so 6 % is more than four standard errors.
#include <cmath>

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "pita/core/rng.h"
#include "pita/diagnostics/score_diagnostic.h"
#include "pita/energy/isotropic_gaussian.h"
#include "pita/io/npy.h"
#include "pita/model/energy_model.h"
#include "pita/model/mlp.h"
#include "pita/model/score_model.h"
#include "pita/molecule/molecule.h"

namespace pita {
namespace {

struct FreshModels {
    ScoreModel score;
    EnergyModel energy;
};

FreshModels fresh_models(double sigma_data) {
    MlpOptions mo;
    mo.n_particles = 1;
    mo.spatial_dim = 3;
    mo.hidden = 16;
    mo.n_layers = 2;
    FreshModels m{ScoreModel(std::make_unique<Mlp>(mo), sigma_data),
                  EnergyModel(std::make_unique<Mlp>(mo), sigma_data)};
    m.score.backbone().to(at::kCPU, at::kDouble);
    m.energy.backbone().to(at::kCPU, at::kDouble);
    return m;
}

ScoreDiagnostic diagnose(const FreshModels& m, const IsotropicGaussian& target,
                         double temperature) {
    at::Generator gen = make_generator(11);
    const at::Tensor x0 = target.sample(4096, 0.0, gen).view({-1, 1, 3});
    ScoreDiagnosticOptions o;
    o.levels = 5;
    o.max_samples = 4096;
    o.batch = 1000;  // not a divisor of the sample count: the last batch is short
    return diagnose_scores(target, m.score, m.energy, x0, temperature, 1.0, 0.05, 20.0, o, gen);
}

TEST(ScoreDiagnostic, TheExactScoreSitsOnEveryColumnsFloor) {
    const double s2 = 1.5 * 1.5;
    const IsotropicGaussian target(1, 3, s2);
    const FreshModels m = fresh_models(1.5);
    const ScoreDiagnostic d = diagnose(m, target, 1.0);
    ASSERT_TRUE(d.exact_available);
    ASSERT_EQ(d.levels.size(), 5u);
    EXPECT_NEAR(d.levels.front().sigma, 0.05, 1e-12);
    EXPECT_NEAR(d.levels.back().sigma, 20.0, 1e-9);
    EXPECT_EQ(d.samples, 4096);
    // One force evaluation per sample for g0, and one per sample and level for g_t.
    EXPECT_EQ(d.energy_evaluations, 4096 * 6);
    for (const ScoreLevel& l : d.levels) {
        const double h = l.sigma * l.sigma;
        for (const ScoreErrors* e : {&l.score_network, &l.energy_network, &l.skip}) {
            EXPECT_LT(e->exact, 1e-20) << "sigma " << l.sigma;
            EXPECT_NEAR(e->target / (h / (s2 + h)), 1.0, 0.06) << "sigma " << l.sigma;
            EXPECT_NEAR(e->dsm / (s2 / (s2 + h)), 1.0, 0.06) << "sigma " << l.sigma;
            // |s*| / |g0| = (|x_t|/(s² + h)) / (|x0|/s²) → sqrt(s²/(s² + h)) for chi variables
            // of equal degrees of freedom.
            EXPECT_NEAR(e->norm_ratio / std::sqrt(s2 / (s2 + h)), 1.0, 0.06) << "sigma " << l.sigma;
        }
        EXPECT_NEAR(l.target_norm, std::sqrt(3.0 / s2), 0.06 * std::sqrt(3.0 / s2));
    }
    // At the smallest noise the target score is the network's error: ~0 for the exact model,
    // and the local force agrees with it.
    EXPECT_LT(d.levels.front().score_network.target, 2e-3);
    EXPECT_LT(d.levels.front().score_network.local, 2e-3);
    EXPECT_GT(d.levels.front().score_network.cosine, 0.99);
}

TEST(ScoreDiagnostic, AWrongScoreShowsItsAnalyticError) {
    const double s2 = 1.0;
    const IsotropicGaussian target(1, 3, s2);
    const FreshModels m = fresh_models(2.0);  // the score of N(0, (4 + σ²)I), not (1 + σ²)
    const ScoreDiagnostic d = diagnose(m, target, 1.0);
    for (const ScoreLevel& l : d.levels) {
        const double h = l.sigma * l.sigma;
        const double want = std::pow(1.0 - (s2 + h) / (4 * s2 + h), 2);
        EXPECT_NEAR(l.score_network.exact / want, 1.0, 0.06) << "sigma " << l.sigma;
        EXPECT_NEAR(l.energy_network.exact / want, 1.0, 0.06) << "sigma " << l.sigma;
    }
    // At σ = 0.05 the model's score is x/4 against x: the error dominates the target column.
    EXPECT_GT(d.levels.front().score_network.target, 0.5);
}

TEST(ScoreDiagnostic, TheWeightRateSpreadsOnlyWhenScoreAndEnergyDisagree) {
    // Fresh models are one Gaussian each, N(0, (σ_data² + h)I), so the pair of the wrong-score
    // test (both σ_data = 2) is consistent: h·r = −h·D/(2(4 + h)) for every row, sd 0 (one
    // Rademacher probe of a multiple of the identity is exact). A score of N(0, (1 + h)I) with
    // the energy of N(0, (4 + h)I) gives h·r = c·|x_t|² + const, c = 3h/(2(4 + h)²(1 + h)), on
    // data with |x_t|² ~ (1 + h)·χ²_3: sd = c·(1 + h)·sqrt(6). Tolerance 10 %: the sd of 4 096
    // rows of a χ²_3 has a relative standard error of about sqrt(6/4096)/2 ≈ 2 %.
    const IsotropicGaussian target(1, 3, 1.0);
    const ScoreDiagnostic consistent = diagnose(fresh_models(2.0), target, 1.0);
    for (const ScoreLevel& l : consistent.levels) EXPECT_LT(l.weight_rate_sd, 1e-6) << l.sigma;
    FreshModels mixed = fresh_models(1.0);
    mixed.energy = EnergyModel(fresh_models(2.0).energy.backbone().clone(), 2.0);
    const ScoreDiagnostic d = diagnose(mixed, target, 1.0);
    for (const ScoreLevel& l : d.levels) {
        const double h = l.sigma * l.sigma;
        const double want = 3 * h / (2 * (4 + h) * (4 + h) * (1 + h)) * (1 + h) * std::sqrt(6.0);
        EXPECT_NEAR(l.weight_rate_sd / want, 1.0, 0.1) << "sigma " << l.sigma;
    }
    EXPECT_TRUE(to_json(d)["levels"][0].contains("weight_rate_sd"));
}

TEST(ScoreDiagnostic, NoClosedFormAwayFromTemperatureOneAndBadInputIsNamed) {
    const IsotropicGaussian target(1, 3, 1.0);
    const FreshModels m = fresh_models(1.0);
    const ScoreDiagnostic d = diagnose(m, target, 2.0);
    EXPECT_FALSE(d.exact_available);
    EXPECT_TRUE(std::isnan(d.levels[0].score_network.exact));
    EXPECT_TRUE(to_json(d)["levels"][0]["score_network"]["exact"].is_null());
    EXPECT_NE(format_score_diagnostic(d).find("sigma"), std::string::npos);

    at::Generator gen = make_generator(1);
    ScoreDiagnosticOptions o;
    const at::Tensor wrong = at::zeros({4, 2, 3}, at::kDouble);
    try {
        diagnose_scores(target, m.score, m.energy, wrong, 1.0, 1.0, 0.05, 80, o, gen);
        FAIL() << "a wrong shape was accepted";
    } catch (const std::exception& e) {
        EXPECT_NE(std::string(e.what()).find("[4, 2, 3]"), std::string::npos) << e.what();
    }
    o.sigma_low = 10;
    o.sigma_high = 1;
    EXPECT_THROW(diagnose_scores(target, m.score, m.energy, at::zeros({4, 1, 3}, at::kDouble), 1.0,
                                 1.0, 0.05, 80, o, gen),
                 std::exception);
}

TEST(ScoreDiagnostic, ChiralityOfTheDenoisedEstimatesOfAMolecule) {
    // A fresh model's score is −x/(σ_data² + σ²), so x̂ = x_t·σ_data²/(σ_data² + σ²): a positive
    // rescaling, which keeps every chirality sign. Its "not L" columns must therefore equal that
    // of x_t at every σ, exactly; and L data (the ALDP reference) barely noised stay L.
    MoleculeParams p;
    p.system = std::string(PITA_SOURCE_DIR) + "/data/molecules/aldp.system.xml";
    p.pdb = std::string(PITA_SOURCE_DIR) + "/data/molecules/aldp.pdb";
    const Molecule aldp(p);
    const at::Tensor x0 =
        read_npy(std::string(PITA_SOURCE_DIR) + "/data/aldp/reference/T300/samples.npy")
            .slice(0, 0, 64)
            .to(at::kDouble);
    MlpOptions mo;
    mo.n_particles = 22;
    mo.spatial_dim = 3;
    mo.hidden = 8;
    mo.n_layers = 1;
    ScoreModel score(std::make_unique<Mlp>(mo), 1.0);
    EnergyModel energy(std::make_unique<Mlp>(mo), 1.0);
    score.backbone().to(at::kCPU, at::kDouble);
    energy.backbone().to(at::kCPU, at::kDouble);
    at::Generator gen = make_generator(3);
    ScoreDiagnosticOptions o;
    o.levels = 4;
    const ScoreDiagnostic d =
        diagnose_scores(aldp, score, energy, x0, 300.0, 1.0, 1e-4, 3.0, o, gen);
    ASSERT_EQ(d.levels.size(), 4u);
    EXPECT_EQ(d.levels.front().not_l_noised, 0.0);  // σ = 1e-4: the data themselves, all L
    EXPECT_GT(d.levels.back().not_l_noised, 0.2);   // σ = 3 (0.5 nm): handedness is noise
    for (const ScoreLevel& l : d.levels) {
        EXPECT_EQ(l.not_l_score, l.not_l_noised) << l.sigma;
        EXPECT_EQ(l.not_l_energy, l.not_l_noised) << l.sigma;
    }
    EXPECT_TRUE(to_json(d)["levels"][0]["not_l_form"].is_object());
    EXPECT_NE(format_score_diagnostic(d).find("not L"), std::string::npos);
    // Particle systems have no chirality: the columns are NaN and the JSON field null.
    const IsotropicGaussian gaussian(1, 3, 1.0);
    const ScoreDiagnostic g = diagnose(fresh_models(1.0), gaussian, 1.0);
    EXPECT_TRUE(std::isnan(g.levels[0].not_l_score));
    EXPECT_TRUE(to_json(g)["levels"][0]["not_l_form"].is_null());
}

}  // namespace
}  // namespace pita
