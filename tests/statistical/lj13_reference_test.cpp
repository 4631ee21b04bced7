// Checks the LJ-13 reference samples shipped in data/lj13/reference (made by the command in
// data/lj13/README.md). They are for evaluation only; these tests make sure they are what they
// claim: the right energy, equilibrium at their temperature, enough decorrelated samples.
#include <cmath>
#include <filesystem>
#include <fstream>

#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "pita/energy/lennard_jones.h"
#include "pita/io/npy.h"
#include "pita/mcmc/autocorrelation.h"

namespace pita {
namespace {

const std::string kDir = std::string(PITA_SOURCE_DIR) + "/data/lj13/reference";

nlohmann::json stats() { return nlohmann::json::parse(std::ifstream(kDir + "/mcmc.json")); }
int64_t n_chains() {
    const auto run = nlohmann::json::parse(std::ifstream(kDir + "/run.json"));
    return run["config"]["mcmc"]["n_chains"].get<int64_t>();
}

TEST(Lj13ReferenceStatistical, ShipsEveryLadderTemperature) {
    const nlohmann::json s = stats();
    for (double t : {1.0, 1.2, 1.5, 2.0, 3.0, 4.0}) {
        bool found = false;
        for (const auto& e : s["temperatures"]) {
            if (std::abs(e["temperature"].get<double>() - t) < 1e-9) {
                found = true;
                EXPECT_TRUE(
                    std::filesystem::exists(kDir + "/" + e["samples_file"].get<std::string>()))
                    << "T=" << t;
            }
        }
        EXPECT_TRUE(found) << "no reference at T=" << t;
    }
}

TEST(Lj13ReferenceStatistical, EachTemperatureIsInEquilibrium) {
    LennardJones lj;
    const int64_t chains = n_chains();
    const nlohmann::json all = stats();  // keep alive: iterating stats()[...] would dangle
    int checked = 0;
    for (const auto& entry : all["temperatures"]) {
        const double t = entry["temperature"].get<double>();
        const std::string file = kDir + "/" + entry["samples_file"].get<std::string>();
        if (!std::filesystem::exists(file)) continue;  // only the ladder temperatures are shipped
        const at::Tensor x = read_npy(file).to(at::kDouble);
        const at::Tensor stored = read_npy(kDir + "/" + entry["energies_file"].get<std::string>());
        ASSERT_EQ(x.size(0) % chains, 0);
        const EnergyAndForce ef = lj.energy_and_force(x);
        // Samples are stored in float32: |ΔE| ≈ |∇E|·|Δx| with |Δx| ~ 3e-7·|x| → well below 1e-3.
        EXPECT_LT((ef.energy - stored).abs().max().item<double>(), 1e-3) << "T=" << t;
        EXPECT_LT(x.mean(1).abs().max().item<double>(), 1e-5) << "not mean-free, T=" << t;
        // Configurational temperature ⟨x·∇E⟩/36 = T, 5 autocorrelation-corrected s.e. (p < 1e-6).
        const at::Tensor virial = (-(x * ef.force).sum({1, 2}) / 36.0).view({-1, chains});
        const MeanEstimate tc = mean_with_error(virial);
        EXPECT_NEAR(tc.mean, t, 5.0 * tc.standard_error) << "T=" << t << " (stochastic)";
        const AutocorrelationEstimate tau =
            integrated_autocorrelation_time(ef.energy.view({-1, chains}));
        EXPECT_LT(tau.tau, 2.0) << "samples at T=" << t << " are not decorrelated";
        ++checked;
    }
    EXPECT_EQ(checked, 6);  // the six ladder temperatures
}

TEST(Lj13ReferenceStatistical, TemperatureOneMatchesPublishedEnergyStatistics) {
    const at::Tensor e = read_npy(kDir + "/T1/energies.npy");
    const int64_t chains = n_chains();
    const AutocorrelationEstimate tau = integrated_autocorrelation_time(e.view({-1, chains}));
    EXPECT_GE(tau.effective_samples, 10000.0);
    // −43.1 ± 0.3 and sd about 7.0 (equivariant-flow literature's reference data, same energy).
    EXPECT_NEAR(e.mean().item<double>(), -43.1, 0.3);
    EXPECT_NEAR(e.std().item<double>(), 7.0, 0.3);
}

}  // namespace
}  // namespace pita
