// The learned annealing model (networks → drift inputs) against the exact oracle: a fresh
// preconditioned model (zero output layer) is exactly the model of N(0, (σ_data² + h)I), so
// every drift input must equal the closed forms of IsotropicGaussian(variance σ_data²). This pins
// the plumbing between the networks and the SDE (h(t), ∂U/∂t = ∂U/∂h·dh/dt, β, the divergence),
// which the oracle tests of the annealer never touch.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "pita/anneal/anneal_stage.h"
#include "pita/anneal/annealer.h"
#include "pita/anneal/annealing_model.h"
#include "pita/core/error.h"
#include "pita/core/rng.h"
#include "pita/energy/gaussian_mixture.h"
#include "pita/energy/isotropic_gaussian.h"
#include "pita/model/energy_model.h"
#include "pita/model/mlp.h"
#include "pita/model/score_model.h"
#include "pita/schedule/noise_schedule.h"
#include "support/annealing_helpers.h"

namespace pita {
namespace {

at::Tensor centred(const at::Tensor& v) { return v - v.mean(); }

void expect_fresh_model_is_exact(double sigma_data) {
    MlpOptions mo;
    mo.n_particles = 1;
    mo.spatial_dim = 3;
    mo.hidden = 16;
    mo.n_layers = 2;
    ScoreModel score(std::make_unique<Mlp>(mo), sigma_data);
    EnergyModel energy(std::make_unique<Mlp>(mo), sigma_data);
    score.backbone().to(at::kCPU, at::kDouble);
    energy.backbone().to(at::kCPU, at::kDouble);
    const NoiseSchedule schedule = NoiseSchedule::elucidating(0.05);
    LearnedModelOptions lo;
    lo.beta = 1.7;
    const LearnedAnnealingModel learned(score, energy, schedule, lo);
    const IsotropicGaussian gaussian(1, 3, sigma_data * sigma_data);
    const ExactAnnealingModel exact(gaussian, schedule, 1, 3);

    at::Generator gen = make_generator(3);
    const at::Tensor x = at::randn({64, 1, 3}, gen, at::kDouble) * 2.0;
    for (double t : {0.02, 0.3, 0.9}) {
        const DriftInputs a = learned.evaluate(x, t, true, gen);
        const DriftInputs b = exact.evaluate(x, t, true, gen);
        EXPECT_TRUE(at::allclose(a.score, b.score, 1e-12, 1e-12))
            << "t " << t << " sigma_data " << sigma_data;
        EXPECT_TRUE(at::allclose(a.grad_u, b.grad_u, 1e-12, 1e-12))
            << "t " << t << " sigma_data " << sigma_data;
        EXPECT_TRUE(at::allclose(a.div_score, b.div_score, 1e-10, 1e-10))
            << "t " << t << " sigma_data " << sigma_data;
        // U and ∂U/∂t: the model omits the normalising constant, which depends on h only.
        EXPECT_TRUE(at::allclose(centred(a.u), centred(b.u), 1e-10, 1e-10))
            << "t " << t << " sigma_data " << sigma_data;
        EXPECT_TRUE(at::allclose(centred(a.du_dt), centred(b.du_dt), 1e-8, 1e-8))
            << "t " << t << " sigma_data " << sigma_data;
        EXPECT_TRUE(
            at::allclose(centred(learned.energy(x, t)), centred(exact.energy(x, t)), 1e-10, 1e-10));
    }
    // anneal.tempering_weight: score_only runs the score network alone: the same score and
    // divergence (same probes), no energy outputs.
    lo.energy_network = false;
    const LearnedAnnealingModel score_alone(score, energy, schedule, lo);
    for (const bool with_weights : {false, true}) {
        const DriftInputs a = score_alone.evaluate(x, 0.3, with_weights, gen);
        const DriftInputs b = exact.evaluate(x, 0.3, with_weights, gen);
        EXPECT_TRUE(at::allclose(a.score, b.score, 1e-12, 1e-12));
        EXPECT_FALSE(a.grad_u.defined() || a.u.defined() || a.du_dt.defined());
        EXPECT_EQ(a.div_score.defined(), with_weights);
        if (with_weights) {
            EXPECT_TRUE(at::allclose(a.div_score, b.div_score, 1e-10, 1e-10));
        }
    }
}

TEST(LearnedAnnealingModel, FreshModelEqualsTheExactGaussianModelOfItsSigmaData) {
    expect_fresh_model_is_exact(1.0);  // the reference's σ_data: N(0, (1+h)I)
    expect_fresh_model_is_exact(1.9);  // N(0, (σ_data² + h)I)
}

TEST(AnnealStage, SigmaMinEndsTheSdeGridThere) {
    // Fresh models are the exact model of N(0, (1 + h)I) (above), so at γ = 1 the reverse SDE
    // returns the noised marginal at its last grid point: variance 1 + σ_end² per coordinate —
    // 2 with anneal.sigma_min = 1, against 1 + 0.05² with the schedule's own end. 4 096 × 3
    // coordinates give the variance to a relative standard error of sqrt(2/12 288) ≈ 1.3 %, and
    // the Euler–Maruyama bias at 200 steps is below that; the 6 % tolerance is > 4 errors.
    MlpOptions mo;
    mo.n_particles = 1;
    mo.spatial_dim = 3;
    mo.hidden = 8;
    mo.n_layers = 1;
    ScoreModel score(std::make_unique<Mlp>(mo), 1.0);
    EnergyModel energy(std::make_unique<Mlp>(mo), 1.0);
    score.backbone().to(at::kCPU, at::kDouble);
    energy.backbone().to(at::kCPU, at::kDouble);
    const IsotropicGaussian target(1, 3, 1.0);
    const NoiseSchedule schedule = NoiseSchedule::elucidating(0.05, 20.0);
    AnnealStageOptions o;
    o.sde.n_samples = 4096;
    o.sde.steps = 200;
    o.sde.resample_interval = 0;
    o.correct_to_target = false;
    o.relaxation = RelaxationMethod::Mala;
    for (const double sigma_end : {0.0, 1.0}) {
        o.sigma_end = sigma_end;
        at::Generator gen = make_generator(21);
        const AnnealStageResult r = anneal_stage(target, score, energy, schedule, o, 1.0, 1.0, 1.0,
                                                 at::TensorOptions(at::kDouble), gen);
        const double expected = 1.0 + (sigma_end > 0 ? sigma_end * sigma_end : 0.05 * 0.05);
        EXPECT_NEAR(r.x.var().item<double>(), expected, 0.06 * expected) << sigma_end;
        EXPECT_EQ(r.summary.contains("sigma_end"), sigma_end > 0);
    }
    o.sigma_end = 20.0;  // not below σ_max: refused, naming the key
    at::Generator gen = make_generator(22);
    EXPECT_THROW(anneal_stage(target, score, energy, schedule, o, 1.0, 1.0, 1.0,
                              at::TensorOptions(at::kDouble), gen),
                 ConfigError);
}

TEST(Annealer, WeightsEndAtTheFirstStepBelowResampleEndSigma) {
    // σ(t) on the EDM grid (σ 0.01–10, ρ = 7): the first step k of 200 with σ(1 − k/200) < 0.19
    // is where the weights stop; resample_end, when earlier, wins, and without either the
    // weights run to the last step.
    const NoiseSchedule s = NoiseSchedule::elucidating(0.01, 10.0, 7.0);
    AnnealOptions o;
    o.steps = 200;
    EXPECT_EQ(weighting_end_step(o, s), 200);
    o.resample_end_sigma = 0.19;
    const int64_t k = weighting_end_step(o, s);
    EXPECT_LT(s.sigma(1.0 - k / 200.0), 0.19);
    EXPECT_GE(s.sigma(1.0 - (k - 1) / 200.0), 0.19);
    EXPECT_EQ(k, 138);  // the step counted by hand in docs/RESULTS.md (session 11)
    o.resample_end = 100;
    EXPECT_EQ(weighting_end_step(o, s), 100);
    o.resample_end = 180;
    EXPECT_EQ(weighting_end_step(o, s), 138);
    o.resample_end_sigma = 100.0;  // above σ_max: no weighted step at all
    EXPECT_EQ(weighting_end_step(o, s), 0);
}

/// The exact model of a mixture with its ∂U/∂t scaled: an energy network whose time derivative
/// is wrong while everything else is right.
class WrongTimeDerivative final : public AnnealingModel {
  public:
    WrongTimeDerivative(const AnnealingModel& exact, double scale) : exact_(exact), scale_(scale) {}
    DriftInputs evaluate(const at::Tensor& x, double t, bool with_weights,
                         at::Generator& gen) const override {
        DriftInputs d = exact_.evaluate(x, t, with_weights, gen);
        if (d.du_dt.defined()) d.du_dt = d.du_dt * scale_;
        return d;
    }
    at::Tensor energy(const at::Tensor& x, double t) const override { return exact_.energy(x, t); }

  private:
    const AnnealingModel& exact_;
    double scale_;
};

/// The accumulated log-weights of an unresampled annealing (centred: only differences matter).
at::Tensor log_weights(const AnnealingModel& model, const NoiseSchedule& schedule, double gamma,
                       TemperingWeight tempering) {
    AnnealOptions o = testing::options_for(2, gamma, 256, 50);
    o.resample_interval = 0;
    o.tempering = tempering;
    at::Generator gen = make_generator(17);
    const AnnealResult r = anneal(model, schedule, o, at::TensorOptions(at::kDouble), gen);
    return r.log_weight - r.log_weight.mean();
}

/// Two modes of unequal widths in 2-D: ΔU differs between them, so the (γ − 1) part of the
/// weights matters.
GaussianMixture two_width_mixture() {
    return GaussianMixture(at::tensor({-3.0, 0.0, 3.0, 0.0}, at::kDouble).view({2, 2}),
                           at::tensor({0.3, 1.5}, at::kDouble),
                           at::tensor({0.5, 0.5}, at::kDouble));
}

TEST(Annealer, TemperingFromTheScoreEqualsTheEnergyFormForOneNoisedDensity) {
    // A two-mode mixture with unequal widths, so ΔU differs between the modes and the (γ − 1)
    // part of the weights matters. With the exact model, ∂U/∂t − (g²/2)⟨s, ∇U⟩ = −(g²/2)∇·s
    // holds pointwise (the heat equation), so both forms give the same weights to round-off.
    const GaussianMixture gmm = two_width_mixture();
    const NoiseSchedule schedule = NoiseSchedule::elucidating(0.05, 10.0);
    const ExactAnnealingModel exact(gmm, schedule, 1, 2);
    const at::Tensor a = log_weights(exact, schedule, 2.0, TemperingWeight::Energy);
    const at::Tensor b = log_weights(exact, schedule, 2.0, TemperingWeight::Score);
    EXPECT_GT(a.std().item<double>(), 0.1);  // the premise: the weights do something
    EXPECT_LT((a - b).abs().max().item<double>(), 1e-6 * (1 + a.abs().max().item<double>()));
    // An energy network whose ∂U/∂t is 30 % off: the energy form carries the error γ times, the
    // score form once (its ∂U/∂t term is the γ = 1 one). At γ = 1 the two forms are one
    // increment whatever the networks.
    const WrongTimeDerivative wrong(exact, 1.3);
    const at::Tensor energy_error = log_weights(wrong, schedule, 2.0, TemperingWeight::Energy) - a;
    const at::Tensor score_error = log_weights(wrong, schedule, 2.0, TemperingWeight::Score) - b;
    EXPECT_GT(energy_error.abs().max().item<double>(), 0.1);
    EXPECT_LT((score_error - energy_error / 2.0).abs().max().item<double>(),
              1e-6 * (1 + energy_error.abs().max().item<double>()));
    EXPECT_LT((log_weights(wrong, schedule, 1.0, TemperingWeight::Energy) -
               log_weights(wrong, schedule, 1.0, TemperingWeight::Score))
                  .abs()
                  .max()
                  .item<double>(),
              1e-9);
}

/// The exact model, counting the evaluations that ask for the weights' inputs (the divergence)
/// and, with `poison_energy`, with every energy-network output replaced by NaN: what an annealing
/// that reads none of them must not notice.
class InstrumentedModel final : public AnnealingModel {
  public:
    InstrumentedModel(const AnnealingModel& exact, bool poison_energy)
        : exact_(exact), poison_energy_(poison_energy) {}
    DriftInputs evaluate(const at::Tensor& x, double t, bool with_weights,
                         at::Generator& gen) const override {
        if (with_weights) ++weighted_calls;
        DriftInputs d = exact_.evaluate(x, t, with_weights, gen);
        if (!poison_energy_) return d;
        d.grad_u = at::full_like(d.grad_u, NAN);
        if (d.u.defined()) d.u = at::full_like(d.u, NAN);
        if (d.du_dt.defined()) d.du_dt = at::full_like(d.du_dt, NAN);
        return d;
    }
    at::Tensor energy(const at::Tensor& x, double t) const override { return exact_.energy(x, t); }
    mutable int64_t weighted_calls = 0;

  private:
    const AnnealingModel& exact_;
    bool poison_energy_;
};

TEST(Annealer, ScoreOnlyWeightsEqualTheOthersForOneNoisedDensityAndNeverReadTheEnergyNetwork) {
    // For the exact model the dropped γ = 1 increment is 0 pointwise (the heat equation), so the
    // score network's (1 − γ)(g²/2)∇·s alone is the whole increment, to round-off; and the drift
    // (g²/2)(1 + γ)s is the balanced drift. With the energy network's outputs all NaN, score_only
    // gives the same particles and weights.
    const GaussianMixture gmm = two_width_mixture();
    const NoiseSchedule schedule = NoiseSchedule::elucidating(0.05, 10.0);
    const ExactAnnealingModel exact(gmm, schedule, 1, 2);
    const at::Tensor a = log_weights(exact, schedule, 2.0, TemperingWeight::Energy);
    const at::Tensor c = log_weights(exact, schedule, 2.0, TemperingWeight::ScoreOnly);
    EXPECT_GT(a.std().item<double>(), 0.1);
    EXPECT_LT((a - c).abs().max().item<double>(), 1e-6 * (1 + a.abs().max().item<double>()));
    const InstrumentedModel poisoned(exact, /*poison_energy=*/true);
    const at::Tensor p = log_weights(poisoned, schedule, 2.0, TemperingWeight::ScoreOnly);
    EXPECT_TRUE(at::equal(p, c));
    EXPECT_FALSE(at::isfinite(log_weights(poisoned, schedule, 2.0, TemperingWeight::Score))
                     .all()
                     .item<bool>());
}

TEST(Annealer, ScoreOnlyAtGammaOneComputesNoDivergenceAndNeverResamples) {
    // score_only's increment is (1 − γ)(g²/2)∇·s: zero at γ = 1 whatever the divergence, so the
    // γ = 1 model check (regeneration_check.h) must not pay for one. The energy form at γ = 1 is
    // not identically zero for imperfect networks (its terms cancel only for exact ones), so it
    // keeps its weights: the control below.
    const GaussianMixture gmm = two_width_mixture();
    const NoiseSchedule schedule = NoiseSchedule::elucidating(0.05, 10.0);
    const ExactAnnealingModel exact(gmm, schedule, 1, 2);
    AnnealOptions o = testing::options_for(2, 1.0, 64, 20);
    o.resample_interval = 1;
    o.tempering = TemperingWeight::ScoreOnly;
    EXPECT_TRUE(weights_vanish(o));
    EXPECT_EQ(weighting_end_step(o, schedule), 0);
    const InstrumentedModel counted(exact, /*poison_energy=*/false);
    at::Generator gen = make_generator(4);
    const AnnealResult r = anneal(counted, schedule, o, at::TensorOptions(at::kDouble), gen);
    EXPECT_EQ(counted.weighted_calls, 0);
    EXPECT_EQ(r.resampling_events, 0);
    EXPECT_TRUE(at::equal(r.log_weight, at::zeros_like(r.log_weight)));
    EXPECT_EQ(r.stats.back().lineages, 64);

    for (const auto& [w, gamma] :
         {std::pair{TemperingWeight::Energy, 1.0}, std::pair{TemperingWeight::ScoreOnly, 2.0}}) {
        o.tempering = w;
        o.gamma = gamma;
        EXPECT_FALSE(weights_vanish(o)) << tempering_weight_name(w) << " γ " << gamma;
        const InstrumentedModel control(exact, /*poison_energy=*/false);
        anneal(control, schedule, o, at::TensorOptions(at::kDouble), gen);
        EXPECT_EQ(control.weighted_calls, 20) << tempering_weight_name(w) << " γ " << gamma;
    }
}

TEST(Annealer, TemperingFromTheScoreNeedsTheBalancedDrift) {
    const GaussianMixture gmm(at::zeros({1, 2}, at::kDouble), at::ones({1}, at::kDouble),
                              at::ones({1}, at::kDouble));
    const NoiseSchedule schedule = NoiseSchedule::elucidating(0.05, 10.0);
    const ExactAnnealingModel exact(gmm, schedule, 1, 2);
    AnnealOptions o = testing::options_for(2, 2.0, 8, 4);
    o.score_weight = -1;  // λ = γ, the reference drift
    for (const TemperingWeight w : {TemperingWeight::Score, TemperingWeight::ScoreOnly}) {
        o.tempering = w;
        at::Generator gen = make_generator(1);
        EXPECT_THROW(anneal(exact, schedule, o, at::TensorOptions(at::kDouble), gen), ConfigError)
            << tempering_weight_name(w);
    }
}

// Which anneals read the energy network, and so need one that a loss trained.
TEST(AnnealStage, AnUntrainedEnergyNetworkIsRefusedWhereverTheAnnealReadsIt) {
    AnnealStageOptions o;
    o.sde.tempering = TemperingWeight::ScoreOnly;
    o.correct_to_target = false;
    EXPECT_EQ(untrained_energy_network_problem(false, o), "");
    auto why = [&o] { return untrained_energy_network_problem(false, o); };
    o.correct_to_target = true;  // the end correction's U(x, σ_min)
    EXPECT_NE(why().find("reads it (correct_to_target: true)"), std::string::npos) << why();
    o.correct_to_target = false;
    for (const TemperingWeight w : {TemperingWeight::Energy, TemperingWeight::Score}) {
        o.sde.tempering = w;
        EXPECT_NE(why().find("reads it (tempering_weight: " + tempering_weight_name(w) + ")"),
                  std::string::npos)
            << why();
        EXPECT_EQ(untrained_energy_network_problem(true, o), "");
    }
}

// The warning reads the lineages after the end correction when there was one, and stays quiet
// from a tenth of the population up.
TEST(AnnealStage, GenealogyWarningNamesTheSurvivingLineages) {
    nlohmann::json summary = {{"samples", 256}, {"sde", {{"lineages", 26}}}};
    EXPECT_EQ(genealogy_warning(summary), "");
    summary["sde"]["lineages"] = 3;
    EXPECT_NE(genealogy_warning(summary).find("only 3 of the 256 prior draws have descendants "
                                              "after the SDE"),
              std::string::npos)
        << genealogy_warning(summary);
    summary["sde"]["lineages"] = 200;
    summary["correction"] = {{"lineages", 1}};
    EXPECT_NE(genealogy_warning(summary).find("only 1 of the 256 prior draws have descendants "
                                              "after the end correction"),
              std::string::npos);
    summary["correction"]["lineages"] = 26;
    EXPECT_EQ(genealogy_warning(summary), "");
}

}  // namespace
}  // namespace pita
