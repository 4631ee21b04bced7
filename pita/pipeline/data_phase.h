#pragma once
// The data phase of a progressive run (spec §6, step 1): samples of the target at the top of the
// ladder, T_0, from a sampler that mixes there, with every target evaluation counted. They are the
// first replay buffer; nothing else in the run starts from data it did not make itself.
//
//   data:
//     sampler: mala           # mala (particle systems' default) | md (molecules; required there)
//     max_rows: 60000         # capacity of each replay buffer
//     # sampler mala:
//     n_chains: 256           # MALA chains at T_0
//     warmup_steps: 2000      # step-size adaptation, discarded
//     production_steps: 16000
//     thin: 400               # keep every thin-th production step of every chain
//     step_size: 1e-4         # MALA's initial δ (adapted during warm-up)
//     target_acceptance: 0.574
//     # sampler md (spec §1.3: OpenMM minimisation, then LangevinMiddle at T_0 on pita's force
//     # field; every force evaluation counted):
//     md: {n_replicas: 16, friction: 0.3, step_size: 0.001, minimize: true, warmup_steps: 5000,
//          n_frames: 100, steps_per_frame: 10000}
#include <cstdint>
#include <string>

#include <ATen/core/Tensor.h>  // the result holds tensors by value
#include <c10/core/Device.h>

#include "pita/mcmc/mala.h"
#include "pita/mcmc/parallel_tempering.h"
#include "pita/md/md_options.h"

namespace pita {

class ConfigNode;
class Energy;
class RunObserver;

/// Which sampler makes the data.
enum class DataSampler {
    Mala,  ///< batched MALA chains (any target)
    Md,    ///< Langevin MD after energy minimisation (molecules: masses and physical units)
};

struct DataPhaseOptions {
    DataSampler sampler = DataSampler::Mala;
    MalaOptions mala;
    /// chains_per_temperature, warm-up, production and thinning; `temperatures` is set to {T_0}
    /// by run_data_phase().
    ParallelTemperingOptions chains{{1.0}, 256, 1, 2000, 16000, 400};
    /// The MD run (sampler md); its temperature is set to T_0 by run_data_phase().
    MdRunOptions md;
    int64_t max_rows = 60000;  ///< capacity of each replay buffer (rows)

    /// Rows the phase keeps: chains × (production_steps / thin), or replicas × frames.
    int64_t kept_rows() const;
    /// Parallel states the sampler moves: chains or replicas.
    int64_t parallel_states() const;
    /// "256 MALA chains × 18000 steps" / "16 MD replicas × 1005 ps", for plans.
    std::string describe() const;
};

/// Reads the `data:` section (every key range-checked; problems reported by Config::finish()).
/// `molecule_target`: the target has masses and units (Energy::molecular_graph()); it must then
/// name its sampler, and only it may use md.
DataPhaseOptions read_data_phase_options(const ConfigNode& data, bool molecule_target);

struct DataPhaseResult {
    at::Tensor x;       ///< [N, n, d] float64 samples at `temperature`, on the run's device
    at::Tensor energy;  ///< [N] float64 target energies E
    int64_t energy_evaluations = 0;  ///< target evaluations the sampler made
    std::string sampler;             ///< "MALA" or "MD", for messages
    std::string provenance;          ///< of the first buffer: "mcmc:T=4", "md:T=1200"
    std::string source;              ///< metrics.json's "source" of the data rung: mcmc, md
};

/// Samples `energy` at `temperature` with the streams RandomStream::DataSampler (the chains or
/// replicas, on `device`) and, for MALA, DataInitialisation (the starting configurations) of
/// `seed`. Progress goes to `observer` as phases "data warmup" and "data production".
/// @throws ConfigError for sampler md on a target that is not a molecule
DataPhaseResult run_data_phase(const Energy& energy, const DataPhaseOptions& options,
                               double temperature, uint64_t seed, c10::Device device,
                               RunObserver& observer);

}  // namespace pita
