// Checks the peptide reference samples shipped in data/<molecule>/reference (replica-exchange
// MD, the commands in data/<molecule>/README.md). Evaluation only; these tests make sure the
// files are what they claim: the target's energies of these very samples, and equilibrium at
// each bath's temperature by Rugh's configurational temperature, which only the energy's gradient
// and Laplacian enter (no dynamics, no velocities).
#ifdef PITA_WITH_OPENMM
#include <cmath>
#include <string>
#include <tuple>

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "pita/io/npy.h"
#include "pita/metrics/sample_metrics.h"
#include "pita/molecule/molecule.h"
#include "support/molecule_helpers.h"

namespace pita {
namespace {

/// (molecule, temperature K, atoms, samples at least)
using Case = std::tuple<std::string, double, int64_t, int64_t>;

class PeptideReferenceStatistical : public ::testing::TestWithParam<Case> {};

TEST_P(PeptideReferenceStatistical, EnergiesAreTheTargetsAndTheBathTemperatureHolds) {
    const auto& [name, t, n_atoms, min_samples] = GetParam();
    const std::string dir =
        std::string(PITA_SOURCE_DIR) + fmt::format("/data/{}/reference/T{:g}", name, t);
    const at::Tensor x = read_npy(dir + "/samples.npy").to(at::kDouble);
    const at::Tensor e = read_npy(dir + "/energies.npy").to(at::kDouble);
    ASSERT_EQ(x.dim(), 3);
    ASSERT_EQ(x.size(1), n_atoms);
    ASSERT_EQ(e.size(0), x.size(0));
    EXPECT_GE(x.size(0), min_samples);
    const Molecule mol(testing::molecule_params(name));
    // 400 evenly spaced samples. Energies: the stored ones are of the float64 positions, the
    // samples are float32, so they agree to the rounding, not to round-off. ALDP's samples were
    // normalised from float32 frames that had drifted up to tens of nm from the origin (pita md
    // now centres frames), so its positions carry ~2e-6 nm of rounding: energies agree to ~0.01
    // kJ/mol (measured max 0.0101). Tolerance 0.05 kJ/mol = 0.02 kT at 300 K, far below any
    // metric's resolution.
    const at::Tensor rows = at::arange(0, x.size(0), x.size(0) / 400, at::kLong);
    const at::Tensor xs = x.index_select(0, rows);
    const at::Tensor recomputed = mol.energy(xs);
    EXPECT_LT((recomputed - e.index_select(0, rows)).abs().max().item<double>(),
              0.05 / molecule_energy_unit());
    // Rugh's T_conf in the target's units is in kelvin (energies in k_B·1 K). Tolerance 4
    // standard errors; samples ≥ 20 frames (20 ps) apart in a bath whose energy decorrelates
    // within ~3 ps are close to independent, as the error assumes; the error must be < 3 % of
    // the temperature, so the check can fail.
    const ConfigurationalTemperature tc = rugh_configurational_temperature(mol, xs);
    EXPECT_NEAR(tc.value, t, 4 * tc.standard_error) << tc.value << " ± " << tc.standard_error;
    EXPECT_LT(tc.standard_error, 0.03 * t);
    RecordProperty("T_conf", fmt::format("{:.1f} +- {:.1f}", tc.value, tc.standard_error));
}

INSTANTIATE_TEST_SUITE_P(
    LadderTemperatures, PeptideReferenceStatistical,
    ::testing::Values(Case{"aldp", 300.0, 22, 8000}, Case{"aldp", 408.24, 22, 8000},
                      Case{"aldp", 555.52, 22, 8000}, Case{"aldp", 755.95, 22, 8000},
                      Case{"aldp", 1200.0, 22, 8000}, Case{"aaa", 300.0, 33, 8000},
                      Case{"aaa", 408.24, 33, 8000}, Case{"aaa", 555.52, 33, 8000},
                      Case{"aaa", 755.95, 33, 8000}, Case{"aaa", 1200.0, 33, 8000}),
    [](const auto& param_info) {
        return fmt::format("{}_T{:.0f}", std::get<0>(param_info.param),
                           std::get<1>(param_info.param));
    });

}  // namespace
}  // namespace pita
#endif
