#pragma once
// The extension `_pita`: one bind_* per concept (one .cpp each), called in order by module.cpp.
// The bindings convert and call the library; what they compute lives in pita/.
//
// Tensors cross by reference: an at::Tensor argument is the caller's torch.Tensor (the same
// TensorImpl, so the same storage), and a returned at::Tensor becomes a torch.Tensor around the
// library's storage. Nothing is copied at the boundary; the library itself converts where it must
// (e.g. the metrics compute in float64 on the CPU).
#include <string>
#include <vector>

#include <torch/csrc/utils/pybind.h>
#include <nlohmann/json_fwd.hpp>

namespace pita {
class Config;
}

namespace pita::python {

namespace py = pybind11;

void bind_errors(py::module_& m);
void bind_targets(py::module_& m);
void bind_samplers(py::module_& m);
void bind_checkpoint(py::module_& m);
void bind_run(py::module_& m);
void bind_metrics(py::module_& m);

/// JSON (a run's summary, a target's config) as Python objects: dict, list, str, float, ...
py::object to_python(const nlohmann::json& j);
/// A Python value made of dicts, lists, strings, numbers and bools, as JSON.
/// @throws ConfigError for anything JSON cannot hold (NaN, an object of another type)
nlohmann::json to_json(const py::handle& value);
/// A str or os.PathLike as a path string (os.fspath).
std::string fspath(const py::handle& path);
/// A config document holding `section` (a dict) under `name`, through the same reader, checks and
/// messages as a YAML file: Config::from_string of its JSON.
Config config_with_section(const std::string& name, const py::handle& section);

}  // namespace pita::python
