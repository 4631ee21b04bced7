#include <nlohmann/json.hpp>

#include "bindings.h"
#include "pita/config/config.h"
#include "pita/core/error.h"

namespace pita::python {

py::object to_python(const nlohmann::json& j) {
    return py::module_::import("json").attr("loads")(j.dump());
}

nlohmann::json to_json(const py::handle& value) {
    std::string text;
    try {
        text = py::module_::import("json")
                   .attr("dumps")(value, py::arg("allow_nan") = false)
                   .cast<std::string>();
    } catch (const py::error_already_set& e) {
        throw ConfigError(fmt::format(
            "[python] a config value JSON cannot hold: {}; expected dicts, lists, strings, "
            "finite numbers and bools.",
            e.what()));
    }
    return nlohmann::json::parse(text);
}

std::string fspath(const py::handle& path) {
    return py::str(py::module_::import("os").attr("fspath")(path)).cast<std::string>();
}

Config config_with_section(const std::string& name, const py::handle& section) {
    PITA_CHECK(py::isinstance<py::dict>(section),
               "[python] {}: got a {}; expected a dict of its keys.", name,
               py::str(py::type::of(section).attr("__name__")).cast<std::string>());
    return Config::from_string(nlohmann::json{{name, to_json(section)}}.dump());
}

}  // namespace pita::python
