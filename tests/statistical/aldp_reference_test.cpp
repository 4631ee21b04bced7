// Checks the alanine-dipeptide reference samples shipped in data/aldp/reference (replica-exchange
// MD, the command in data/aldp/README.md). Evaluation only; these tests make sure the files are
// what they claim: the target's energies of these very samples, and equilibrium at each bath's
// temperature by Rugh's configurational temperature, which only the energy's gradient and
// Laplacian enter (no dynamics, no velocities).
#ifdef PITA_WITH_OPENMM
#include <cmath>
#include <string>

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "pita/core/rng.h"
#include "pita/io/npy.h"
#include "pita/metrics/sample_metrics.h"
#include "pita/molecule/molecule.h"
#include "support/molecule_helpers.h"

namespace pita {
namespace {

const std::string kDir = std::string(PITA_SOURCE_DIR) + "/data/aldp/reference";

Molecule aldp() {
    const MoleculeParams p = testing::molecule_params("aldp");
    return Molecule(p);
}

class AldpReferenceStatistical : public ::testing::TestWithParam<double> {};

TEST_P(AldpReferenceStatistical, EnergiesAreTheTargetsAndTheBathTemperatureHolds) {
    const double t = GetParam();
    const std::string dir = kDir + fmt::format("/T{:g}", t);
    const at::Tensor x = read_npy(dir + "/samples.npy").to(at::kDouble);
    const at::Tensor e = read_npy(dir + "/energies.npy").to(at::kDouble);
    ASSERT_EQ(x.dim(), 3);
    ASSERT_EQ(x.size(1), 22);
    ASSERT_EQ(e.size(0), x.size(0));
    EXPECT_GE(x.size(0), 8000);
    const Molecule mol = aldp();
    // 400 evenly spaced samples. Energies: the stored ones are of the float64 positions, the
    // samples were normalised from float32 frames that had drifted up to tens of nm from the
    // origin (since fixed: pita md now centres frames), so positions carry ~2e-6 nm of rounding
    // and energies agree to ~0.01 kJ/mol (measured max 0.0101), not to round-off. Tolerance
    // 0.05 kJ/mol = 0.02 kT at 300 K: far below any metric's resolution.
    const at::Tensor rows = at::arange(0, x.size(0), x.size(0) / 400, at::kLong);
    const at::Tensor xs = x.index_select(0, rows);
    const at::Tensor recomputed = mol.energy(xs);
    EXPECT_LT((recomputed - e.index_select(0, rows)).abs().max().item<double>(),
              0.05 / molecule_energy_unit());
    // Rugh's T_conf in the target's units is in kelvin (energies in k_B·1 K). Tolerance 4
    // standard errors; samples 20 frames (20 ps) apart in a bath that mixes over ~1 ps are
    // close to independent, as the error assumes; the error must be < 3 % for teeth.
    const ConfigurationalTemperature tc = rugh_configurational_temperature(mol, xs);
    EXPECT_NEAR(tc.value, t, 4 * tc.standard_error) << tc.value << " ± " << tc.standard_error;
    EXPECT_LT(tc.standard_error, 0.03 * t);
    RecordProperty("T_conf", fmt::format("{:.1f} +- {:.1f}", tc.value, tc.standard_error));
}

INSTANTIATE_TEST_SUITE_P(LadderTemperatures, AldpReferenceStatistical,
                         ::testing::Values(300.0, 408.24, 555.52, 755.95, 1200.0),
                         [](const auto& param_info) {
                             return fmt::format("T{:.0f}", param_info.param);
                         });

}  // namespace
}  // namespace pita
#endif
