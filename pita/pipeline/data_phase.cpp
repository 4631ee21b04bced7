#include "pita/pipeline/data_phase.h"

#include <ATen/ATen.h>

#include "pita/config/config.h"
#include "pita/core/rng.h"
#include "pita/core/run_observer.h"
#include "pita/energy/energy.h"

namespace pita {

int64_t DataPhaseOptions::kept_rows() const {
    return (chains.production_steps / chains.thin) * chains.chains_per_temperature;
}

DataPhaseOptions read_data_phase_options(const ConfigNode& data) {
    DataPhaseOptions o;
    read_chain_options(data, o.mala, o.chains);
    o.max_rows = data.get_int("max_rows", o.max_rows, Bounds::at_least(1));
    return o;
}

DataPhaseResult run_data_phase(const Energy& energy, const DataPhaseOptions& options,
                               double temperature, uint64_t seed, c10::Device device,
                               RunObserver& observer) {
    ParallelTemperingOptions chains = options.chains;
    chains.temperatures = {temperature};
    ParallelTempering sampler(energy, options.mala, chains);
    at::Generator sampler_gen =
        make_generator(stream_seed(seed, RandomStream::DataSampler), device);
    at::Generator init_gen = make_generator(stream_seed(seed, RandomStream::DataInitialisation));
    const at::Tensor x0 =
        energy.initial_configurations(sampler.n_chains(), init_gen).to(device, at::kDouble);
    std::string last_phase;
    const McmcResult result = sampler.run(
        x0, sampler_gen,
        [&](const std::string& phase, int64_t step, int64_t total, const std::string& status) {
            last_phase = "data " + phase;
            observer.progress(last_phase, step, total, status);
        });
    if (!last_phase.empty()) observer.phase_finished(last_phase, "");
    const TemperatureSamples& top = result.per_temperature.front();
    return {top.x, top.energy, result.energy_evaluations, "MALA"};
}

}  // namespace pita
