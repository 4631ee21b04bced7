// Samplers (pita/mcmc): the MALA kernel step by step, and the parallel-tempering driver that
// `pita mcmc` runs (one temperature = plain batched MALA).
#include <optional>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include "bindings.h"
#include "pita/config/config.h"
#include "pita/core/error.h"
#include "pita/core/rng.h"
#include "pita/mcmc/mala.h"
#include "pita/mcmc/parallel_tempering.h"

namespace pita::python {

namespace {

MalaKernel parse_kernel(const std::string& name) {
    PITA_CHECK(name == "auto" || name == "generic",
               "[mala] kernel: got '{}'; expected 'auto' or 'generic'.", name);
    return name == "auto" ? MalaKernel::Auto : MalaKernel::Generic;
}

std::unique_ptr<Mala> make_mala(const std::shared_ptr<Energy>& target,
                                std::vector<double> temperatures,
                                std::optional<std::vector<int64_t>> groups, double step_size,
                                double target_acceptance, double adaptation_rate, double drift_clip,
                                double min_step_size, double max_step_size,
                                const std::string& kernel) {
    MalaOptions o;
    o.initial_step_size = step_size;
    o.target_acceptance = target_acceptance;
    o.adaptation_rate = adaptation_rate;
    o.drift_clip = drift_clip;
    o.min_step_size = min_step_size;
    o.max_step_size = max_step_size;
    o.kernel = parse_kernel(kernel);
    std::vector<int64_t> g = groups ? *groups : std::vector<int64_t>(temperatures.size(), 0);
    return std::make_unique<Mala>(*target, o, std::move(temperatures), std::move(g));
}

py::dict estimate(const MeanEstimate& e) {
    py::dict d;
    d["mean"] = e.mean;
    d["standard_error"] = e.standard_error;
    return d;
}

/// The `mcmc:` section of `pita mcmc` from keyword arguments, read by the library's reader.
McmcOptions read_options(const py::dict& section) {
    Config cfg = config_with_section("mcmc", section);
    McmcOptions o = read_mcmc_options(cfg.root().child("mcmc"));
    cfg.finish();
    return o;
}

py::object parallel_tempering(const std::shared_ptr<Energy>& target, const py::dict& section,
                              uint64_t seed, std::optional<at::Tensor> x0, const std::string& dtype,
                              const py::object& progress) {
    const McmcOptions o = read_options(section);
    PITA_CHECK(dtype == "float32" || dtype == "float64",
               "[mcmc] dtype: got '{}'; expected 'float32' or 'float64'.", dtype);
    ParallelTempering sampler(*target, o.mala, o.chains);
    // As `pita mcmc`: the chains' generator is the seed, the starting configurations' its own
    // stream, so the same seed gives the same samples.
    at::Generator gen = make_generator(seed);
    at::Tensor start;
    if (x0) {
        start = *x0;
    } else {
        at::Generator init_gen =
            make_generator(stream_seed(seed, RandomStream::DataInitialisation));
        start = target->initial_configurations(sampler.n_chains(), init_gen)
                    .to(dtype == "float32" ? at::kFloat : at::kDouble);
    }
    McmcProgress report;
    if (!progress.is_none()) {
        report = [&progress](const std::string& phase, int64_t step, int64_t total,
                             const std::string& status) {
            py::gil_scoped_acquire acquire;
            progress(phase, step, total, status);
        };
    }
    McmcResult r;
    {
        py::gil_scoped_release release;
        r = sampler.run(start, gen, report);
    }
    py::list per_temperature;
    for (const TemperatureSamples& t : r.per_temperature) {
        py::dict d;
        d["temperature"] = t.temperature;
        d["samples"] = t.x;
        d["energies"] = t.energy;
        d["virial"] = t.virial;
        d["acceptance"] = t.acceptance;
        d["step_size"] = t.step_size;
        d["mean_energy"] = estimate(t.mean_energy);
        d["configurational_temperature"] = estimate(t.configurational_temperature);
        d["energy_tau"] = t.energy_tau.tau;
        d["effective_samples"] = t.energy_tau.effective_samples;
        per_temperature.append(d);
    }
    py::dict out;
    out["temperatures"] = per_temperature;
    out["swap_acceptance"] = r.swap_acceptance;
    out["energy_evaluations"] = r.energy_evaluations;
    out["seconds"] = r.seconds;
    return std::move(out);
}

}  // namespace

void bind_samplers(py::module_& m) {
    using Release = py::call_guard<py::gil_scoped_release>;
    py::class_<ChainState>(m, "ChainState",
                           "Positions, energies and forces of a set of chains (they agree).")
        .def(py::init<>())
        .def(py::init([](at::Tensor x, at::Tensor energy, at::Tensor force) {
                 return ChainState{std::move(x), std::move(energy), std::move(force)};
             }),
             py::arg("x"), py::arg("energy"), py::arg("force"))
        .def_readwrite("x", &ChainState::x, "[chains, n_particles, spatial_dim]")
        .def_readwrite("energy", &ChainState::energy, "[chains]")
        .def_readwrite("force", &ChainState::force, "[chains, n_particles, spatial_dim], -grad E");

    const MalaOptions d;
    py::class_<Mala>(m, "Mala", R"(Batched Metropolis-adjusted Langevin on exp(-E(x)/T).

One temperature per chain; chains in one adaptation group share a step size, adapted during
warm-up (step(adapt=True)) towards target_acceptance. The CPU kernel updates state.x, energy and
force in place where they are contiguous.)")
        .def(py::init(&make_mala), py::arg("target"), py::arg("temperatures"),
             py::arg("groups") = py::none(), py::arg("step_size") = d.initial_step_size,
             py::arg("target_acceptance") = d.target_acceptance,
             py::arg("adaptation_rate") = d.adaptation_rate, py::arg("drift_clip") = d.drift_clip,
             py::arg("min_step_size") = d.min_step_size, py::arg("max_step_size") = d.max_step_size,
             py::arg("kernel") = "auto", py::keep_alive<1, 2>())
        .def("init", &Mala::init, py::arg("x0"), Release(),
             "Evaluates x0 (made mean-free for translation-invariant targets): a ChainState.")
        .def("step", &Mala::step, py::arg("state"), py::arg("generator"), py::arg("adapt") = false,
             Release(),
             "One step of every chain, drawing from `generator` (a torch.Generator on the "
             "state's device); returns the accepted mask [chains], bool.")
        .def_property("step_sizes", &Mala::step_sizes, &Mala::set_step_sizes,
                      "Current step size of each group.")
        .def_property_readonly("n_chains", &Mala::n_chains)
        .def_property_readonly("n_groups", &Mala::n_groups);

    const McmcOptions md;
    m.def(
        "parallel_tempering",
        [](const std::shared_ptr<Energy>& target, const std::vector<double>& temperatures,
           int64_t n_chains, int64_t swap_interval, int64_t warmup_steps, int64_t production_steps,
           int64_t thin, double step_size, double target_acceptance, double drift_clip,
           uint64_t seed, std::optional<at::Tensor> x0, const std::string& dtype,
           const py::object& progress) {
            py::dict section;
            section["temperatures"] = temperatures;
            section["n_chains"] = n_chains;
            section["swap_interval"] = swap_interval;
            section["warmup_steps"] = warmup_steps;
            section["production_steps"] = production_steps;
            section["thin"] = thin;
            section["step_size"] = step_size;
            section["target_acceptance"] = target_acceptance;
            section["drift_clip"] = drift_clip;
            return parallel_tempering(target, section, seed, std::move(x0), dtype, progress);
        },
        py::arg("target"), py::kw_only(), py::arg("temperatures") = md.chains.temperatures,
        py::arg("n_chains") = md.chains.chains_per_temperature,
        py::arg("swap_interval") = md.chains.swap_interval,
        py::arg("warmup_steps") = md.chains.warmup_steps,
        py::arg("production_steps") = md.chains.production_steps, py::arg("thin") = md.chains.thin,
        py::arg("step_size") = md.mala.initial_step_size,
        py::arg("target_acceptance") = md.mala.target_acceptance,
        py::arg("drift_clip") = md.mala.drift_clip, py::arg("seed") = 0, py::arg("x0") = py::none(),
        py::arg("dtype") = "float64", py::arg("progress") = py::none(),
        R"(Parallel tempering over `temperatures` (one temperature: plain batched MALA), as
`pita mcmc` runs it: warm-up (step-size adaptation, discarded), then production, keeping every
`thin`-th step. The keywords are the `mcmc:` config keys, read and range-checked by the same
reader. The same seed gives the samples `pita mcmc` writes. x0: [n_chains * len(temperatures),
n, d], temperature-major (default: the target's initial configurations). progress(phase, step,
total, status) is called every few steps. Returns a dict: per temperature (ascending) samples
[kept * n_chains, n, d] (record-major), energies, virial, acceptance, step_size, mean_energy,
configurational_temperature, energy_tau, effective_samples; swap_acceptance per adjacent
pair; energy_evaluations; seconds.)");
}

}  // namespace pita::python
