// LangevinMiddle: equipartition on a harmonic well (positions and velocities), and the kinetic
// temperature of alanine dipeptide at 1200 K.
#include "pita/md/langevin.h"

#include <cmath>

#include <ATen/ATen.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "pita/core/error.h"
#include "pita/core/rng.h"
#include "pita/core/units.h"
#include "pita/energy/isotropic_gaussian.h"
#ifdef PITA_WITH_OPENMM
#include "pita/molecule/molecule.h"
#include "support/molecule_helpers.h"
#endif

namespace pita {
namespace {

TEST(LangevinMiddle, HarmonicWellSamplesTheBoltzmannVariances) {
    // E = |x|²/(2·0.002) kJ/mol: spring 500 kJ/mol/nm², so <x²> = kT·0.002 per coordinate.
    // Starts from that distribution, so the test measures stationarity, not relaxation.
    const double variance = 0.002;
    const IsotropicGaussian well(4, 3, variance);
    const at::Tensor masses = at::tensor({1.0, 2.0, 4.0, 12.0}, at::kDouble);
    LangevinOptions o;
    o.temperature = 300;
    o.friction = 5;
    const LangevinMiddle md(well, masses, o);
    at::Generator gen = make_generator(5);
    const double expected = kMolarGasConstant * 300 * variance;
    MdState s = md.start(std::sqrt(expected) * at::randn({256, 4, 3}, gen, at::kDouble), gen);
    md.run(s, 300, gen);
    at::Tensor x2 = at::zeros({4}, at::kDouble);
    at::Tensor t_kin = at::zeros({}, at::kDouble);
    const int64_t samples = 200;
    for (int64_t k = 0; k < samples; ++k) {
        md.run(s, 10, gen);
        x2 += s.x.pow(2).mean(at::IntArrayRef{0, 2});
        t_kin += md.kinetic_temperature(s).mean();
    }
    x2 /= samples;
    t_kin /= samples;
    for (int64_t i = 0; i < 4; ++i)
        EXPECT_NEAR(x2[i].item<double>() / expected, 1.0, 0.03) << "atom " << i;
    EXPECT_NEAR(t_kin.item<double>() / 300.0, 1.0, 0.02);
    EXPECT_EQ(s.steps, 300 + 10 * samples);
    EXPECT_EQ(well.evaluations(), 256 * (1 + s.steps));
}

TEST(LangevinMiddle, RefusesBadOptionsAndMasses) {
    const IsotropicGaussian well(2, 3, 1.0);
    LangevinOptions o;
    o.step_size = 0;
    EXPECT_THROW(LangevinMiddle(well, at::ones({2}, at::kDouble), o), ConfigError);
    EXPECT_THROW(LangevinMiddle(well, at::ones({3}, at::kDouble), LangevinOptions{}), ConfigError);
    EXPECT_THAT([&] { LangevinMiddle(well, at::zeros({2}, at::kDouble), LangevinOptions{}); },
                ::testing::ThrowsMessage<ConfigError>(::testing::HasSubstr("Virtual sites")));
}

#ifdef PITA_WITH_OPENMM
TEST(LangevinMiddle, AlanineDipeptideKineticTemperatureAt1200K) {
    const MoleculeParams p = testing::molecule_params("aldp");
    const Molecule mol(p);
    LangevinOptions o;
    o.temperature = 1200;
    o.friction = 20;  // fast thermalisation for a short test; 1 fs step as the spec
    const LangevinMiddle md(mol.physical(), mol.masses(), o);
    at::Generator gen = make_generator(9);
    MdState s = md.start(mol.pdb_positions().unsqueeze(0).repeat({32, 1, 1}), gen);
    md.run(s, 200, gen);
    double t_kin = 0;
    const int64_t samples = 40;
    for (int64_t k = 0; k < samples; ++k) {
        md.run(s, 10, gen);
        t_kin += md.kinetic_temperature(s).mean().item<double>() / samples;
    }
    EXPECT_NEAR(t_kin / 1200.0, 1.0, 0.04) << t_kin;
    EXPECT_TRUE(at::isfinite(s.x).all().item<bool>());
}
#endif

}  // namespace
}  // namespace pita
