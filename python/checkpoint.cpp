// A training checkpoint (pita/train/trained_models.h) and one annealing rung from it
// (pita/anneal/anneal_stage.h), as `pita anneal` runs it: the same seed gives the same samples.
#include <memory>
#include <vector>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include "bindings.h"
#include "pita/anneal/anneal_stage.h"
#include "pita/config/config.h"
#include "pita/core/device.h"
#include "pita/core/error.h"
#include "pita/core/rng.h"
#include "pita/pipeline/chirality_fix.h"
#include "pita/pipeline/relaxation_setup.h"
#include "pita/train/trained_models.h"

namespace pita::python {

namespace {

/// The models of a checkpoint; the target is shared with Python (pita.Target).
struct Checkpoint {
    Checkpoint(TrainedModels trained, c10::Device device_, c10::ScalarType dtype_)
        : models(std::move(trained)),
          target(std::move(models.energy)),
          device(device_),
          dtype(dtype_) {}

    TrainedModels models;
    std::shared_ptr<Energy> target;
    c10::Device device;
    c10::ScalarType dtype;
};

c10::ScalarType parse_dtype(const std::string& name) {
    PITA_CHECK(name == "float32" || name == "float64",
               "[python] dtype: got '{}'; expected 'float32' or 'float64'.", name);
    return name == "float32" ? c10::kFloat : c10::kDouble;
}

std::shared_ptr<Checkpoint> load_checkpoint(const py::object& path, const std::string& device,
                                            const std::string& dtype) {
    const std::string file = fspath(path);
    const c10::Device dev = parse_device(device);
    const c10::ScalarType type = parse_dtype(dtype);
    py::gil_scoped_release release;
    return std::make_shared<Checkpoint>(load_trained_models(file, dev, type, "python"), dev, type);
}

py::dict anneal(const Checkpoint& c, double temperature, uint64_t seed, const py::dict& options,
                const py::object& progress) {
    Config cfg = config_with_section("anneal", options);
    ConfigNode section = cfg.root().child("anneal");
    AnnealStageOptions o = read_anneal_stage_options(section);
    // As in `pita anneal` (pita/pipeline/chirality_fix.h): mirrored molecules mirrored back,
    // samples that are not L dropped.
    const ChiralityHandling chirality = read_chirality_handling(section);
    cfg.finish();
    const std::vector<ChiralCentre> centres = chiral_centres_of(*c.target);
    require_centres_for(centres, chirality);
    const std::string untrained =
        untrained_energy_network_problem(c.models.energy_network_trained, o);
    PITA_CHECK(untrained.empty(), "[anneal] {}", untrained);
    setup_relaxation(*c.target, o);
    const ReplayBuffer& newest = c.models.newest_buffer();
    check_anneal_temperatures(newest.temperature(), temperature);
    AnnealProgress on_step;
    if (!progress.is_none()) {
        on_step = [&progress](int64_t step, int64_t total, const AnnealStepStats& s) {
            py::gil_scoped_acquire acquire;
            progress(step, total, s.t, s.ess);
        };
    }
    at::Generator gen = make_generator(seed, c.device);
    AnnealStageResult r;
    {
        py::gil_scoped_release release;
        r = anneal_stage(*c.target, *c.models.score, *c.models.energy_model, c.models.schedule, o,
                         newest.temperature(), newest.beta(), temperature,
                         at::TensorOptions(c.dtype).device(c.device), gen, on_step);
        check_and_fix_chirality(r, centres, chirality);
    }
    py::list diagnostics;
    for (const AnnealStepStats& s : r.stats) {
        py::dict d;
        d["step"] = s.step;
        d["t"] = s.t;
        d["ess"] = s.ess;
        d["log_weight_variance"] = s.log_weight_variance;
        d["resampled"] = s.resampled;
        d["unique_ancestors"] = s.unique_ancestors;
        d["lineages"] = s.lineages;
        diagnostics.append(d);
    }
    py::dict out;
    out["samples"] = r.x;
    out["energies"] = r.energy;
    out["samples_before_relaxation"] =
        r.x_before_relaxation.defined() ? py::cast(r.x_before_relaxation) : py::none();
    out["energies_before_relaxation"] =
        r.energy_before_relaxation.defined() ? py::cast(r.energy_before_relaxation) : py::none();
    out["summary"] = to_python(r.summary);
    out["diagnostics"] = diagnostics;
    return out;
}

}  // namespace

void bind_checkpoint(py::module_& m) {
    py::class_<Checkpoint, std::shared_ptr<Checkpoint>>(
        m, "Checkpoint",
        "The networks of a training checkpoint (EMA weights, eval mode), its target and replay "
        "buffers, rebuilt from the checkpoint's own record.")
        .def_property_readonly("target", [](const Checkpoint& c) { return c.target; })
        .def_property_readonly(
            "temperature",
            [](const Checkpoint& c) { return c.models.newest_buffer().temperature(); },
            "The temperature of the newest replay buffer: what the networks learned last.")
        .def_property_readonly("beta",
                               [](const Checkpoint& c) { return c.models.newest_buffer().beta(); })
        .def_property_readonly("path", [](const Checkpoint& c) { return c.models.path; })
        .def_property_readonly(
            "record", [](const Checkpoint& c) { return to_python(c.models.record); },
            "The checkpoint's record: the training config, the step, ...")
        .def_property_readonly(
            "buffers",
            [](const Checkpoint& c) {
                py::list out;
                for (const ReplayBuffer& b : c.models.buffers) {
                    py::dict d;
                    d["temperature"] = b.temperature();
                    d["beta"] = b.beta();
                    d["provenance"] = b.provenance();
                    d["samples"] = b.x();
                    out.append(d);
                }
                return out;
            },
            "The replay buffers, oldest first: temperature, beta, provenance, samples.")
        .def(
            "anneal",
            [](const Checkpoint& c, double temperature, uint64_t seed, const py::object& progress,
               const py::kwargs& options) {
                return anneal(c, temperature, seed, options, progress);
            },
            py::arg("temperature"), py::kw_only(), py::arg("seed") = 0,
            py::arg("progress") = py::none(),
            R"(Samples at `temperature` (<= self.temperature) by inference-time annealing, as
`pita anneal` draws them: the weighted reverse SDE with SMC resampling at gamma = T/T', the end
correction to the target and the optional relaxation. Other keywords are the `anneal:` config
keys (n_samples, steps, divergence, relax_steps, fix_mirrored, l_form_only, ...), read and range-checked by
the same reader; for a molecule, summary["chirality"] counts L / mirrored / mixed samples.
progress(step, total, t, ess) is called after every SDE step. Returns a dict: samples [N, n, d],
energies [N] (float64, E not E/T), samples_before_relaxation / energies_before_relaxation (None
without a relaxation), summary (anneal.json's content), diagnostics (per SDE step).)");

    m.def("load_checkpoint", &load_checkpoint, py::arg("path"), py::arg("device") = "cpu",
          py::arg("dtype") = "float32",
          "Loads a `pita train` / `pita run` checkpoint (train/checkpoint.pt, train/stage<i>.pt). "
          "Raises pita.IoError for a missing or unreadable file.");
}

}  // namespace pita::python
