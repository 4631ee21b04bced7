// Statistical checks of pita's molecular dynamics: replica exchange equilibrates the wells of a
// cold bath that plain Langevin MD cannot cross (exact populations by quadrature), and MD of
// alanine dipeptide holds its kinetic and configurational temperatures at 300 K and 1200 K.
#include <cmath>
#include <utility>
#include <vector>

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "pita/core/rng.h"
#include "pita/energy/energy.h"
#include "pita/mcmc/autocorrelation.h"
#include "pita/md/langevin.h"
#include "pita/md/replica_exchange.h"
#include "pita/metrics/sample_metrics.h"
#ifdef PITA_WITH_OPENMM
#include "pita/molecule/molecule.h"
#include "pita/molecule/openmm_reference.h"
#include "support/molecule_helpers.h"
#endif

namespace pita {
namespace {

constexpr double kR = 8.314462618e-3;  // kJ/(mol·K)

/// One particle in 3-D: an asymmetric double well along x, a harmonic trap along y and z.
///   E = h·(x² − 1)² + t·x + (k/2)(y² + z²)   (kJ/mol, nm)
class TiltedDoubleWell final : public Energy {
  public:
    static constexpr double h = 20.0, t = 1.0, k = 50.0;
    std::string name() const override { return "tilted_double_well"; }
    int64_t n_particles() const override { return 1; }
    int64_t spatial_dim() const override { return 3; }
    bool translation_invariant() const override { return false; }
    nlohmann::json config() const override { return {{"type", name()}}; }

  protected:
    at::Tensor compute_energy(const at::Tensor& x) const override {
        const at::Tensor q = x.select(2, 0).squeeze(1);
        const at::Tensor yz = x.narrow(2, 1, 2).squeeze(1);
        return h * (q * q - 1).pow(2) + t * q + 0.5 * k * yz.pow(2).sum(1);
    }
    EnergyAndForce compute_energy_and_force(const at::Tensor& x) const override {
        const at::Tensor q = x.select(2, 0);
        at::Tensor f = at::empty_like(x);
        f.select(2, 0).copy_(-(4 * h * q * (q * q - 1) + t));
        f.narrow(2, 1, 2).copy_(-k * x.narrow(2, 1, 2));
        return {compute_energy(x), f};
    }
};

/// P(x < 0) at temperature T by quadrature of exp(−(h(x²−1)² + t·x)/RT).
double left_well_probability(double temperature) {
    const double kT = kR * temperature;
    double left = 0, all = 0;
    for (int i = -40000; i < 40000; ++i) {
        const double q = (i + 0.5) * 1e-4;
        const double w = std::exp(
            -(TiltedDoubleWell::h * std::pow(q * q - 1, 2) + TiltedDoubleWell::t * q) / kT);
        all += w;
        if (q < 0) left += w;
    }
    return left / all;
}

TEST(ReplicaExchange, MdLadderEquilibratesTheWellsOfTheColdBath) {
    // Cold bath: barrier h = 20 kJ/mol is 8 kT at 300 K, the tilt favours the left well (x < 0;
    // P = 0.68); every replica starts in the right well. Hot baths (up to 2400 K, barrier 1 kT)
    // cross freely; exchanges carry the crossings down. Plain MD at 300 K for the same time is the
    // control: it stays mostly right (its left fraction is far below the exact value).
    const std::vector<double> ladder = {300, 476, 756, 1200, 1905, 2400};
    const int64_t chains = 64;
    const TiltedDoubleWell well;
    LangevinOptions o;
    o.friction = 5;
    o.step_size = 0.002;
    const LangevinMiddle md(well, at::ones({1}, at::kDouble), o);
    ReplicaExchange rex(ladder, chains);
    at::Generator gen = make_generator(17);
    const at::Tensor start = at::tensor({1.0, 0.0, 0.0}, at::kDouble).view({1, 1, 3});
    MdState s = md.start(start.repeat({rex.n_replicas(), 1, 1}), rex.replica_temperatures(), gen);
    MdState control = md.start(start.repeat({chains, 1, 1}), gen);  // options: 300 K
    int64_t left = 0, control_left = 0, samples = 0;
    for (int64_t round = 0; round < 600; ++round) {
        md.run(s, 20, gen);
        md.run(control, 20, gen);
        rex.exchange(s, gen);
        if (round < 100) continue;  // equilibration
        left += s.x.narrow(0, 0, chains).select(2, 0).lt(0).sum().item<int64_t>();
        control_left += control.x.select(2, 0).lt(0).sum().item<int64_t>();
        samples += chains;
    }
    const double exact = left_well_probability(300);
    const double p = static_cast<double>(left) / static_cast<double>(samples);
    // Tolerance: 0.05 absolute. Samples 20 steps apart are correlated (a well-switching time of
    // ~ tens of rounds), so the effective count is ~64 chains × ~25 = 1 600 and the standard
    // error ~0.012; 0.05 is ~4 s.e. The control's deficit is ~0.5.
    EXPECT_NEAR(p, exact, 0.05) << "exact " << exact;
    const double control_p = static_cast<double>(control_left) / static_cast<double>(samples);
    EXPECT_LT(control_p, exact - 0.2) << "plain MD crossed; the test would not show exchange";
    for (size_t k = 0; k < rex.accepts().size(); ++k)
        EXPECT_GT(rex.accepts()[k], rex.attempts()[k] / 10) << "pair " << k;
    EXPECT_GT(rex.round_trips(), 10.0);
}

#ifdef PITA_WITH_OPENMM
TEST(LangevinMiddleStatistics, AlanineDipeptideHoldsKineticAndConfigurationalTemperature) {
    // 16 replicas at 300 K and 16 at 1200 K in one batch (per-replica heat baths), LangevinMiddle
    // at the spec's 1 fs from the minimised structure, friction 5/ps: with the spec's 0.3/ps the
    // energy held in the bond vibrations relaxes over ~1/γ = 3 ps, and a 4 % band would need
    // ~10x longer runs (measured: T_kin ± 1.4 %, T_conf ± 1.8 % at 1/ps); the long 0.3/ps runs
    // report both temperatures in md.json (docs/RESULTS.md). 5 ps of warm-up, then 20 ps
    // sampled every 0.1 ps; T_conf from every second frame.
    //   T_kin  = 2·KE/(3N·R), autocorrelation-corrected mean over the replicas of each bath;
    //   T_conf = ⟨|∇U|²⟩/(R·⟨∇²U⟩) per replica (Rugh), then mean ± s.e. over its 16 replicas.
    // Each must equal the bath's temperature within 4 standard errors; LangevinMiddle's O(h²)
    // bias at 1 fs (~0.5 % in T_kin against OpenMM, langevin.h) stays inside that band. The
    // band itself must be narrower than 4 % of the target, so the test can fail.
    const MoleculeParams p = testing::molecule_params("aldp");
    const Molecule mol(p);
    OpenMMReference omm(p.system, OpenMMPlatform::Cpu);
    const at::Tensor x0 = omm.minimize(mol.pdb_positions());
    LangevinOptions o;
    o.friction = 5.0;
    const LangevinMiddle md(mol.physical(), mol.masses(), o);
    const int64_t per_bath = 16;
    const at::Tensor baths = at::cat(
        {at::full({per_bath}, 300.0, at::kDouble), at::full({per_bath}, 1200.0, at::kDouble)});
    at::Generator gen = make_generator(2026);
    MdState s = md.start(x0.unsqueeze(0).repeat({2 * per_bath, 1, 1}), baths, gen);
    md.run(s, 5000, gen);
    const int64_t frames = 200;
    at::Tensor t_kin = at::empty({frames, 2 * per_bath}, at::kDouble);
    at::Tensor x = at::empty({frames, 2 * per_bath, 22, 3}, at::kDouble);
    for (int64_t f = 0; f < frames; ++f) {
        md.run(s, 100, gen);
        t_kin[f].copy_(md.kinetic_temperature(s));
        x[f].copy_(s.x);
    }
    // Rugh's T_conf per replica on every second frame (pita/metrics), K.
    std::vector<double> t_conf_replica;
    for (int64_t r = 0; r < 2 * per_bath; ++r)
        t_conf_replica.push_back(
            rugh_configurational_temperature(mol.physical(), x.slice(0, 0, frames, 2).select(1, r))
                .value /
            kR);
    for (int64_t b = 0; b < 2; ++b) {
        const double target = b == 0 ? 300.0 : 1200.0;
        const MeanEstimate kin = mean_with_error(t_kin.narrow(1, b * per_bath, per_bath));
        const at::Tensor conf =
            at::tensor(t_conf_replica, at::kDouble).narrow(0, b * per_bath, per_bath);
        const double conf_mean = conf.mean().item<double>();
        const double conf_se = conf.std().item<double>() / std::sqrt(double(per_bath));
        EXPECT_NEAR(kin.mean, target, 4 * kin.standard_error)
            << "T_kin at " << target << " K: " << kin.mean << " ± " << kin.standard_error;
        EXPECT_NEAR(conf_mean, target, 4 * conf_se)
            << "T_conf at " << target << " K: " << conf_mean << " ± " << conf_se;
        EXPECT_LT(4 * kin.standard_error, 0.04 * target) << "T_kin at " << target;
        EXPECT_LT(4 * conf_se, 0.04 * target) << "T_conf at " << target;
        RecordProperty(fmt::format("T_kin_{:g}K", target),
                       fmt::format("{:.1f} +- {:.1f}", kin.mean, kin.standard_error));
        RecordProperty(fmt::format("T_conf_{:g}K", target),
                       fmt::format("{:.1f} +- {:.1f}", conf_mean, conf_se));
    }
}
#endif

}  // namespace
}  // namespace pita
