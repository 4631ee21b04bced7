#include "pita/pipeline/data_phase.h"

#include <ATen/ATen.h>
#include <fmt/format.h>

#include "pita/config/config.h"
#include "pita/core/error.h"
#include "pita/core/rng.h"
#include "pita/core/run_observer.h"
#include "pita/energy/energy.h"
#ifdef PITA_WITH_OPENMM
#include "pita/md/md_simulation.h"
#endif

namespace pita {

int64_t DataPhaseOptions::kept_rows() const {
    if (sampler == DataSampler::Md) return md.n_frames * md.n_replicas;
    return (chains.production_steps / chains.thin) * chains.chains_per_temperature;
}

int64_t DataPhaseOptions::parallel_states() const {
    return sampler == DataSampler::Md ? md.n_replicas : chains.chains_per_temperature;
}

std::string DataPhaseOptions::describe() const {
    if (sampler == DataSampler::Md)
        return fmt::format("{} MD replicas × {:g} ps", md.n_replicas,
                           static_cast<double>(md.warmup_steps + md.n_frames * md.steps_per_frame) *
                               md.langevin.step_size);
    return fmt::format("{} MALA chains × {} steps", chains.chains_per_temperature,
                       chains.warmup_steps + chains.production_steps);
}

DataPhaseOptions read_data_phase_options(const ConfigNode& data, bool molecule_target) {
    DataPhaseOptions o;
    if (molecule_target && !data.has("sampler"))
        data.error("sampler",
                   "missing: a molecule target must name its data sampler: md (Langevin MD at "
                   "T_0 after an OpenMM minimisation, the peptide recipe, with its settings in "
                   "data.md) or mala.");
    const std::string sampler = data.get_choice("sampler", "mala", {"mala", "md"});
    o.sampler = sampler == "md" ? DataSampler::Md : DataSampler::Mala;
    if (o.sampler == DataSampler::Md && !molecule_target)
        data.error("sampler", "md needs a molecule target (masses and physical units); use mala.");
    if (o.sampler == DataSampler::Md)
        read_md_dynamics(data.child("md"), o.md);
    else
        read_chain_options(data, o.mala, o.chains);
    o.max_rows = data.get_int("max_rows", o.max_rows, Bounds::at_least(1));
    return o;
}

namespace {

/// MD's progress reports as the run's ("data warmup", "data production").
class MdProgressAsRunProgress : public MdObserver {
  public:
    explicit MdProgressAsRunProgress(RunObserver& run) : run_(run) {}
    void progress(const std::string& phase, int64_t done, int64_t total,
                  const std::string& text) override {
        run_.progress("data " + phase, done, total, text);
    }
    void phase_finished(const std::string& phase) override {
        run_.phase_finished("data " + phase, "");
    }

  private:
    RunObserver& run_;
};

DataPhaseResult run_md_data_phase([[maybe_unused]] const Energy& energy,
                                  [[maybe_unused]] const DataPhaseOptions& options,
                                  [[maybe_unused]] double temperature,
                                  [[maybe_unused]] uint64_t seed,
                                  [[maybe_unused]] c10::Device device,
                                  [[maybe_unused]] RunObserver& observer) {
#ifdef PITA_WITH_OPENMM
    MdRunOptions md = options.md;
    md.temperatures = {temperature};
    md.langevin.temperature = temperature;
    at::Generator gen = make_generator(stream_seed(seed, RandomStream::DataSampler), device);
    MdProgressAsRunProgress md_observer(observer);
    const std::vector<MdSamples> samples =
        simulate_md(md_target(energy), md, device, gen, md_observer);
    const MdSamples& top = samples.front();
    return {top.samples.to(device, at::kDouble),
            top.energies.to(device, at::kDouble),
            top.force_evaluations,
            "MD",
            fmt::format("md:T={:g}", temperature),
            "md"};
#else
    throw ConfigError("[data] sampler md: this build has no OpenMM (PITA_WITH_OPENMM=OFF).");
#endif
}

}  // namespace

DataPhaseResult run_data_phase(const Energy& energy, const DataPhaseOptions& options,
                               double temperature, uint64_t seed, c10::Device device,
                               RunObserver& observer) {
    if (options.sampler == DataSampler::Md)
        return run_md_data_phase(energy, options, temperature, seed, device, observer);
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
    return {top.x,
            top.energy,
            result.energy_evaluations,
            "MALA",
            fmt::format("mcmc:T={:g}", temperature),
            "mcmc"};
}

}  // namespace pita
