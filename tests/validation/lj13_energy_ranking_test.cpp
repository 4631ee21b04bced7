// The energy model learns LJ-13's energy landscape (validation tier, minutes; issue 3): trained
// on MALA samples at T = 2 with the reference LJ-13 recipe (EGNN 32×3, σ_min = 0.05, loss weights
// score/energy_score/energy_matching = 1/1/1, Adam 1e-3, clip 0.5, EMA), the EMA energy model at
// σ_min ranks held-out T = 2 configurations by their true energy. Reported: Spearman ρ between
// U(x, σ_min²) and E(x), next to the ρ of the untrained model U = |x|²/(2(1+h)). That baseline is
// high (0.951 measured): LJ-13's energy contains the harmonic confinement ½|x|², so the radius
// of gyration alone ranks configurations well at T = 2. The test therefore also checks what the
// radius cannot explain: the partial correlation of U and E given |x|² (Pearson correlation of
// their residuals after a linear fit on |x|²), which is exactly 0 for the untrained model.
// Measured (600 steps, ~20 min on a loaded 2-core machine): Spearman 0.951 untrained → 0.964 /
// 0.975 / 0.981 after 200 / 400 / 600 steps; partial correlation 0.828.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "pita/core/rng.h"
#include "pita/energy/lennard_jones.h"
#include "pita/mcmc/mean_free.h"
#include "pita/mcmc/parallel_tempering.h"
#include "pita/model/egnn.h"
#include "pita/train/dataset.h"
#include "pita/train/trainer.h"

namespace pita {
namespace {

/// Residual of v after a least-squares fit a + b·z.
at::Tensor residual(const at::Tensor& v, const at::Tensor& z) {
    const at::Tensor zc = z - z.mean();
    const at::Tensor vc = v - v.mean();
    return vc - zc * ((zc * vc).sum() / (zc * zc).sum());
}

double pearson(const at::Tensor& a, const at::Tensor& b) {
    const at::Tensor ac = a - a.mean();
    const at::Tensor bc = b - b.mean();
    return ((ac * bc).sum() / (ac.norm() * bc.norm())).item<double>();
}

at::Tensor ranks(const at::Tensor& v) { return v.argsort().argsort().to(at::kDouble); }

double spearman(const at::Tensor& a, const at::Tensor& b) {
    const at::Tensor ra = ranks(a) - ranks(a).mean();
    const at::Tensor rb = ranks(b) - ranks(b).mean();
    return ((ra * rb).sum() / (ra.norm() * rb.norm())).item<double>();
}

McmcResult mala_at(const LennardJones& lj, double t, int64_t chains, uint64_t seed) {
    ParallelTemperingOptions o;
    o.temperatures = {t};
    o.chains_per_temperature = chains;
    o.warmup_steps = 2000;
    o.production_steps = 8000;
    o.thin = 200;
    ParallelTempering pt(lj, MalaOptions{1e-3}, o);
    at::Generator gen = make_generator(seed);
    return pt.run(lj.initial_configurations(pt.n_chains(), gen), gen);
}

TEST(EnergyRankingValidation, EgnnEnergyModelRanksLj13ConfigurationsAtT2) {
    constexpr double kT = 2.0;
    constexpr double kSigmaMin = 0.05;
    LennardJones lj;
    const McmcResult train = mala_at(lj, kT, 256, 1);  // 256 × 40 = 10 240 samples
    const McmcResult held_out = mala_at(lj, kT, 64, 2);
    const ReplayBuffer buffer =
        make_buffer(lj, train.per_temperature[0].x, kT, 1.0, 60000, "mcmc:T=2", at::kFloat, "mala");

    at::manual_seed(0);
    EgnnOptions eo;
    eo.n_particles = 13;
    ScoreModel score(std::make_unique<Egnn>(eo));
    EnergyModel energy(score.backbone().clone());
    const NoiseSchedule schedule = NoiseSchedule::elucidating(kSigmaMin);
    TrainerOptions to;
    to.batch_size = 128;
    to.losses.h_min = schedule.h(0.0);
    to.losses.score_h_threshold = schedule.h(0.0);
    Trainer trainer(score, energy, schedule, to, true);

    const at::Tensor x = remove_mean(held_out.per_temperature[0].x).to(at::kFloat);
    const at::Tensor e = held_out.per_temperature[0].energy;
    const int64_t n = x.size(0);
    const at::Tensor h0 = at::full({n}, schedule.h(0.0), at::kFloat);
    const at::Tensor ones = at::ones({n}, at::kFloat);
    const double rho_untrained = spearman(energy.energy(x, h0, ones).detach(), e);
    std::printf("untrained: Spearman %.3f\n", rho_untrained);

    at::Generator gen = make_generator(3);
    constexpr int kSteps = 600;
    for (int i = 1; i <= kSteps; ++i) {
        trainer.step({buffer}, gen);
        if (i % 200 == 0) {
            ScoreModel s_ema(score.backbone().clone());
            EnergyModel e_ema(energy.backbone().clone());
            trainer.copy_ema_to(s_ema, e_ema);
            std::printf("step %d: Spearman %.3f\n", i,
                        spearman(e_ema.energy(x, h0, ones).detach(), e));
            std::fflush(stdout);
        }
    }
    trainer.copy_ema_to(score, energy);
    const at::Tensor u = energy.energy(x, h0, ones).detach().to(at::kDouble);
    const double rho = spearman(u, e);
    const at::Tensor r2 = x.to(at::kDouble).pow(2).sum({1, 2});
    const double partial = pearson(residual(u, r2), residual(e, r2));
    RecordProperty("spearman_untrained", std::to_string(rho_untrained));
    RecordProperty("spearman_trained", std::to_string(rho));
    RecordProperty("partial_correlation_given_radius", std::to_string(partial));
    RecordProperty("held_out_samples", std::to_string(n));
    std::printf(
        "held-out T=2 samples: %lld; Spearman rho(U, E): untrained %.3f, trained %.3f; "
        "partial correlation given |x|^2: trained %.3f (untrained 0) after %d steps\n",
        static_cast<long long>(n), rho_untrained, rho, partial, kSteps);
    // With 2 560 held-out samples the sampling error of either coefficient is ~0.01.
    EXPECT_GT(rho, rho_untrained + 0.01);  // measured +0.030
    EXPECT_GT(partial, 0.3);               // far above the untrained 0 and the ~0.02 noise
}

}  // namespace
}  // namespace pita
