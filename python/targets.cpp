// Targets (pita/energy, pita/molecule) as callables: energy(x), energy_and_force(x), the
// evaluation count. Built from a config section by the library's factory, so every key is read,
// range-checked and reported exactly as in a YAML file.
#include <memory>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include "bindings.h"
#include "pita/config/config.h"
#include "pita/core/error.h"
#include "pita/core/rng.h"
#include "pita/energy/energy.h"
#include "pita/molecule/torsions.h"
#include "pita/targets/energy_factory.h"

namespace pita::python {

namespace {

std::shared_ptr<Energy> make_target(const py::object& section) {
    Config cfg = config_with_section("energy", section);
    std::unique_ptr<Energy> energy = make_energy(cfg.root().child("energy"));
    cfg.finish();
    return energy;
}

}  // namespace

void bind_targets(py::module_& m) {
    using Release = py::call_guard<py::gil_scoped_release>;
    py::class_<Energy, std::shared_ptr<Energy>>(m, "Target", R"(A batched potential energy E(x).

Built by pita.make_target (or pita.lennard_jones, ...). Calls take x of shape
[batch, n_particles, spatial_dim], float32 or float64, and return results in x's dtype on x's
device. x is read in place (no copy). Every configuration evaluated is counted in `evaluations`.
Non-finite energies are returned as data, never raised. Safe to call from several threads: the
GIL is released while it computes.)")
        .def("energy", &Energy::energy, py::arg("x"), Release(),
             "Energies E(x), shape [batch]. Raises pita.ConfigError for a wrong shape or dtype.")
        .def("__call__", &Energy::energy, py::arg("x"), Release(), "Same as energy(x).")
        .def(
            "energy_and_force",
            [](const Energy& e, const at::Tensor& x) {
                EnergyAndForce ef;
                {
                    py::gil_scoped_release release;
                    ef = e.energy_and_force(x);
                }
                return py::make_tuple(ef.energy, ef.force);
            },
            py::arg("x"), "(E [batch], F = -grad E [batch, n_particles, spatial_dim]).")
        .def_property_readonly("evaluations", &Energy::evaluations,
                               "Configurations evaluated so far (energy and force calls alike).")
        .def("reset_evaluations", &Energy::reset_evaluations, "Sets `evaluations` back to 0.")
        .def_property_readonly("name", &Energy::name)
        .def_property_readonly("n_particles", &Energy::n_particles)
        .def_property_readonly("spatial_dim", &Energy::spatial_dim)
        .def_property_readonly("dim", &Energy::dim, "n_particles * spatial_dim.")
        .def_property_readonly("degrees_of_freedom", &Energy::degrees_of_freedom)
        .def_property_readonly("translation_invariant", &Energy::translation_invariant,
                               "Whether samplers work in the mean-free subspace.")
        .def_property_readonly(
            "config", [](const Energy& e) { return to_python(e.config()); },
            "The resolved settings (every key with the value used), as run.json records them.")
        .def(
            "initial_configurations",
            [](const Energy& e, int64_t batch, uint64_t seed) {
                at::Generator gen = make_generator(seed);
                py::gil_scoped_release release;
                return e.initial_configurations(batch, gen);
            },
            py::arg("batch"), py::arg("seed") = 0,
            "Starting configurations for samplers (finite energies), [batch, n, d] float64, CPU.")
        .def(
            "torsion_angles",
            [](const Energy& e, const at::Tensor& x) {
                const std::vector<Torsion> torsions = e.ramachandran_torsions();
                PITA_CHECK(!torsions.empty(),
                           "[python] torsion_angles: target {} has no backbone torsions; "
                           "expected a molecule.",
                           e.name());
                py::gil_scoped_release release;
                return dihedral_angles(x, torsion_atoms(torsions));
            },
            py::arg("x"),
            "A molecule's Ramachandran angles (all phi, then all psi), radians, [batch, k].")
        .def("__repr__", [](const Energy& e) {
            return fmt::format("pita.Target({}, n_particles={}, spatial_dim={})", e.name(),
                               e.n_particles(), e.spatial_dim());
        });

    m.def("make_target", &make_target, py::arg("config"),
          R"(A target from an `energy:` config section given as a dict, e.g.
{"type": "lennard_jones", "n_particles": 13}. Unknown keys and out-of-range values raise
pita.ConfigError with the message `pita` would print for the same YAML.)");
}

}  // namespace pita::python
