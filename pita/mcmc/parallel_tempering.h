#pragma once
// Replica exchange over a temperature ladder, each replica moved by MALA, plus the driver that
// runs warm-up and production and keeps thinned samples. A ladder of one temperature is plain
// batched MALA (no swaps), so `pita mcmc` has one code path for both methods.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "pita/mcmc/autocorrelation.h"
#include "pita/mcmc/mala.h"

namespace pita {

class ConfigNode;

struct ParallelTemperingOptions {
    std::vector<double> temperatures{1.0};  ///< the ladder; sorted ascending internally
    int64_t chains_per_temperature = 64;
    int64_t swap_interval = 1;    ///< MALA steps between swap rounds
    int64_t warmup_steps = 1000;  ///< step-size adaptation; samples discarded
    int64_t production_steps = 10000;
    int64_t thin = 10;  ///< keep every thin-th production step
};

/// Samples and statistics at one temperature of the ladder.
struct TemperatureSamples {
    double temperature = 1.0;
    at::Tensor x;       ///< [n_kept · chains, n_particles, spatial_dim], record-major
    at::Tensor energy;  ///< [n_kept · chains]
    at::Tensor virial;  ///< [n_kept · chains], x·∇E (mean-free x), for the configurational T
    double acceptance = 0.0;             ///< production MALA acceptance rate
    double step_size = 0.0;              ///< frozen δ after warm-up
    AutocorrelationEstimate energy_tau;  ///< of the kept energy series, in kept-sample units
    MeanEstimate mean_energy;
    MeanEstimate configurational_temperature;  ///< ⟨x·∇E⟩ / degrees of freedom
};

struct McmcResult {
    std::vector<TemperatureSamples> per_temperature;  ///< ascending temperature
    std::vector<double> swap_acceptance;  ///< per adjacent pair (k, k+1); empty for one temperature
    int64_t energy_evaluations = 0;       ///< target evaluations made by this run
    double seconds = 0.0;
};

/// Called every few steps: (phase "warmup"/"production", step, total steps in phase, summary).
using McmcProgress = std::function<void(const std::string&, int64_t, int64_t, const std::string&)>;

/// What `pita mcmc` runs: the MALA kernel and the chains over the ladder.
///   mcmc:
///     temperatures: [1.0]     # one = plain batched MALA; more = parallel tempering
///     n_chains: 64            # per temperature
///     swap_interval: 1        # MALA steps between swap rounds
///     warmup_steps: 1000      # step-size adaptation, discarded
///     production_steps: 10000
///     thin: 10                # keep every thin-th production step
///     step_size: 1e-4         # initial δ
///     target_acceptance: 0.574
///     drift_clip: 3.0
struct McmcOptions {
    MalaOptions mala;
    ParallelTemperingOptions chains;
};

/// Reads the keys every chain sampler section shares (`mcmc:`, a run's `data:`): step_size,
/// target_acceptance, n_chains, warmup_steps, production_steps, thin; the structs' values are the
/// defaults.
void read_chain_options(const ConfigNode& node, MalaOptions& mala, ParallelTemperingOptions& pt);

/// Reads an `mcmc:` section (every key range-checked; problems reported by Config::finish()).
McmcOptions read_mcmc_options(const ConfigNode& node);

class ParallelTempering {
  public:
    ParallelTempering(const Energy& energy, MalaOptions mala, ParallelTemperingOptions options);

    /// Runs warm-up then production from `x0` ([chains_per_temperature · n_temperatures, ...],
    /// temperature-major) and returns thinned samples at every temperature.
    McmcResult run(const at::Tensor& x0, at::Generator& gen, const McmcProgress& progress = {});

    int64_t n_chains() const;
    const std::vector<double>& temperatures() const { return options_.temperatures; }

  private:
    /// One swap round between neighbours (even pairs on even rounds, odd on odd); returns per pair
    /// (attempts, accepts) increments.
    void swap_round(ChainState& s, at::Generator& gen, int64_t round, std::vector<double>& attempts,
                    std::vector<double>& accepts) const;

    const Energy& energy_;
    ParallelTemperingOptions options_;
    Mala mala_;
};

}  // namespace pita
