#pragma once
// The data phase of a progressive run (spec §6, step 1): samples of the target at the top of the
// ladder, T_0, from a sampler that mixes there, with every target evaluation counted. They are the
// first replay buffer; nothing else in the run starts from data it did not make itself.
//
//   data:
//     n_chains: 256           # MALA chains at T_0
//     warmup_steps: 2000      # step-size adaptation, discarded
//     production_steps: 16000
//     thin: 400               # keep every thin-th production step of every chain
//     step_size: 1e-4         # MALA's initial δ (adapted during warm-up)
//     target_acceptance: 0.574
//     max_rows: 60000         # capacity of each replay buffer
#include <cstdint>
#include <string>

#include <ATen/core/Tensor.h>  // the result holds tensors by value
#include <c10/core/Device.h>

#include "pita/mcmc/mala.h"
#include "pita/mcmc/parallel_tempering.h"

namespace pita {

class ConfigNode;
class Energy;
class RunObserver;

struct DataPhaseOptions {
    MalaOptions mala;
    /// chains_per_temperature, warm-up, production and thinning; `temperatures` is set to {T_0}
    /// by run_data_phase().
    ParallelTemperingOptions chains{{1.0}, 256, 1, 2000, 16000, 400};
    int64_t max_rows = 60000;  ///< capacity of each replay buffer (rows)

    /// Rows the phase keeps: chains × (production_steps / thin).
    int64_t kept_rows() const;
};

/// Reads the `data:` section (every key range-checked; problems reported by Config::finish()).
DataPhaseOptions read_data_phase_options(const ConfigNode& data);

struct DataPhaseResult {
    at::Tensor x;       ///< [N, n, d] float64 samples at `temperature`, on the run's device
    at::Tensor energy;  ///< [N] float64 target energies E
    int64_t energy_evaluations = 0;  ///< target evaluations the sampler made
    std::string sampler;             ///< "MALA", for messages and the buffer's provenance
};

/// Samples `energy` at `temperature` with the streams RandomStream::DataSampler (the chains, on
/// `device`) and DataInitialisation (the starting configurations) of `seed`. Progress goes to
/// `observer` as phases "data warmup" and "data production".
DataPhaseResult run_data_phase(const Energy& energy, const DataPhaseOptions& options,
                               double temperature, uint64_t seed, c10::Device device,
                               RunObserver& observer);

}  // namespace pita
