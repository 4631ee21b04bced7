// pita's LangevinMiddle MD against OpenMM's own LangevinMiddleIntegrator (label `validation`:
// minutes, opt-in with -DPITA_VALIDATION=ON, never in CI). Alanine dipeptide at 1200 K with the
// spec's dynamics (1 fs, friction 0.3/ps, amber14-all + OBC1), from the same minimised
// structure: eight independent trajectories of 5 ps warm-up + 100 ps each on both sides (the same
// simulated length), potential energy sampled every 0.25 ps.
//
// Two-sample test: Kolmogorov–Smirnov on the potential energies with the sample sizes replaced
// by effective ones (n/τ, τ the integrated autocorrelation time of each side), at α = 0.001
// (critical value 1.95·sqrt((n₁+n₂)/(n₁n₂))); the means must also agree within 4 combined
// autocorrelation-corrected standard errors. At 1200 K the energy (sd ~54 kJ/mol) decorrelates
// over ~4–7 ps, so 840 ps per side give ~110–190 effective samples and ~4–5 kJ/mol per mean:
// the test detects a shift of ⟨U⟩ by ≳ 2.5 kT (25 kJ/mol), e.g. a missing or doubled force term,
// not subtle errors (those are the force-field agreement tests' job, to 1e-10). Measured
// 2026-11-24: OpenMM 128.6 ± 3.9 vs pita 130.2 ± 5.2 kJ/mol, KS D = 0.022 against a critical
// 0.231; 375 s of OpenMM (one thread) against 28 s of pita for the same 840 ps.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "pita/core/rng.h"
#include "pita/mcmc/autocorrelation.h"
#include "pita/md/langevin.h"
#include "pita/molecule/molecule.h"
#include "pita/molecule/openmm_reference.h"
#include "support/molecule_helpers.h"

namespace pita {
namespace {

/// The two-sample Kolmogorov–Smirnov statistic sup |F₁ − F₂|.
double ks_statistic(const at::Tensor& a, const at::Tensor& b) {
    std::vector<double> x(a.data_ptr<double>(), a.data_ptr<double>() + a.numel());
    std::vector<double> y(b.data_ptr<double>(), b.data_ptr<double>() + b.numel());
    std::sort(x.begin(), x.end());
    std::sort(y.begin(), y.end());
    size_t i = 0, j = 0;
    double d = 0;
    while (i < x.size() && j < y.size()) {
        const double v = std::min(x[i], y[j]);
        while (i < x.size() && x[i] <= v) ++i;
        while (j < y.size() && y[j] <= v) ++j;
        d = std::max(d, std::abs(static_cast<double>(i) / static_cast<double>(x.size()) -
                                 static_cast<double>(j) / static_cast<double>(y.size())));
    }
    return d;
}

TEST(LangevinMiddleValidation, AlanineDipeptideEnergyDistributionMatchesOpenMMAt1200K) {
    const MoleculeParams p = testing::molecule_params("aldp");
    const Molecule mol(p);
    OpenMMReference omm(p.system, OpenMMPlatform::Cpu);
    const at::Tensor x0 = omm.minimize(mol.pdb_positions());
    const int64_t trajectories = 8, warmup = 5000, samples = 400, interval = 250;

    // OpenMM: eight seeds, one Context each; [samples, trajectories].
    at::Tensor u_omm = at::empty({samples, trajectories}, at::kDouble);
    double omm_seconds = 0;
    for (int64_t t = 0; t < trajectories; ++t) {
        const OpenMMLangevinRun run = omm.run_langevin_middle(
            x0, 1200.0, 0.3, 0.001, warmup, samples, interval, static_cast<int>(101 + t));
        u_omm.select(1, t).copy_(run.potential);
        omm_seconds += run.seconds;
    }
    // pita: eight replicas in one batch.
    LangevinOptions o;
    o.temperature = 1200;
    const LangevinMiddle md(mol.physical(), mol.masses(), o);
    at::Generator gen = make_generator(7);
    MdState s = md.start(x0.unsqueeze(0).repeat({trajectories, 1, 1}), gen);
    const auto t0 = std::chrono::steady_clock::now();
    md.run(s, warmup, gen);
    at::Tensor u_pita = at::empty({samples, trajectories}, at::kDouble);
    for (int64_t k = 0; k < samples; ++k) {
        md.run(s, interval, gen);
        u_pita[k].copy_(s.potential);
    }
    const double pita_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

    const MeanEstimate m_omm = mean_with_error(u_omm);
    const MeanEstimate m_pita = mean_with_error(u_pita);
    const double n_omm = static_cast<double>(u_omm.numel()) / std::max(1.0, m_omm.tau);
    const double n_pita = static_cast<double>(u_pita.numel()) / std::max(1.0, m_pita.tau);
    const double d = ks_statistic(u_omm.flatten().contiguous(), u_pita.flatten().contiguous());
    const double critical = 1.95 * std::sqrt((n_omm + n_pita) / (n_omm * n_pita));
    const std::string summary = fmt::format(
        "<U> OpenMM {:.2f} ± {:.2f} (sd {:.2f}, tau {:.2f}) vs pita {:.2f} ± {:.2f} (sd {:.2f}, "
        "tau {:.2f}) kJ/mol; KS D = {:.4f}, critical {:.4f} (n_eff {:.0f}, {:.0f}); wall "
        "OpenMM {:.1f} s, pita {:.1f} s",
        m_omm.mean, m_omm.standard_error, m_omm.stddev, m_omm.tau, m_pita.mean,
        m_pita.standard_error, m_pita.stddev, m_pita.tau, d, critical, n_omm, n_pita, omm_seconds,
        pita_seconds);
    RecordProperty("summary", summary);
    std::printf("%s\n", summary.c_str());
    EXPECT_LT(d, critical) << summary;
    EXPECT_NEAR(m_pita.mean, m_omm.mean,
                4 * std::hypot(m_pita.standard_error, m_omm.standard_error))
        << summary;
    EXPECT_LT(m_omm.standard_error, 6.0) << "too short to detect a 2.5 kT shift: " << summary;
}

}  // namespace
}  // namespace pita
