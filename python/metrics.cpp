// The metrics (pita/metrics) as functions on tensors: stateless, no I/O. They compute in float64
// on the CPU (the library converts; the caller's tensors are not modified).
#include <ATen/ATen.h>

#include "bindings.h"
#include "pita/energy/energy.h"
#include "pita/mcmc/mean_free.h"
#include "pita/metrics/peptide_metrics.h"
#include "pita/metrics/sample_metrics.h"
#include "pita/metrics/torsion_metrics.h"

namespace pita::python {

namespace {

py::dict estimate(double value, double standard_error) {
    py::dict d;
    d["value"] = value;
    d["standard_error"] = standard_error;
    return d;
}

}  // namespace

void bind_metrics(py::module_& m) {
    using Release = py::call_guard<py::gil_scoped_release>;
    m.def(
        "energy_distances",
        [](const at::Tensor& e_gen, const at::Tensor& e_ref, double temperature) {
            EnergyDistances d;
            {
                py::gil_scoped_release release;
                d = energy_distances(e_gen, e_ref, temperature);
            }
            py::dict out;
            out["w1"] = d.w1;
            out["w2"] = d.w2;
            out["mean_gap"] = d.mean_gap;
            out["non_finite"] = d.non_finite;
            return out;
        },
        py::arg("e_gen"), py::arg("e_ref"), py::arg("temperature"),
        "Exact 1-D W1/W2 between the reduced energies E/T of two sets ([N], [M] energies E): "
        "dict w1, w2, mean_gap (|<E_gen> - <E_ref>|/T), non_finite (generated energies "
        "dropped). Raises pita.NumericalError when no generated energy is finite.");
    m.def("distance_w2", &interatomic_distance_w2, py::arg("x_gen"), py::arg("x_ref"), Release(),
          "Distance-W2: exact 1-D W2 between all interatomic distances of two sets of "
          "configurations [N, n, d], [M, n, d].");
    m.def("equivariant_w2", &equivariant_w2, py::arg("x_gen"), py::arg("x_ref"), Release(),
          "Equivariant W2: exact OT with the cost min over permutations and rotations of "
          "|x - R P y|^2 (keep N, M <= ~1000: the cost matrix is N*M).");
    m.def(
        "configurational_temperature",
        [](const at::Tensor& x, const at::Tensor& force, bool translation_invariant) {
            ConfigurationalTemperature t;
            {
                py::gil_scoped_release release;
                t = configurational_temperature(x, force, translation_invariant);
            }
            return estimate(t.value, t.standard_error);
        },
        py::arg("x"), py::arg("force"), py::arg("translation_invariant"),
        "<x . grad E>/dof of samples x with forces -grad E ([N, n, d] each); equals T for exact "
        "samples of exp(-E/T). dict value, standard_error.");
    m.def(
        "rugh_temperature",
        [](const Energy& target, const at::Tensor& x, double step) {
            ConfigurationalTemperature t;
            {
                py::gil_scoped_release release;
                t = rugh_configurational_temperature(target, x, step);
            }
            return estimate(t.value, t.standard_error);
        },
        py::arg("target"), py::arg("x"), py::arg("step") = 1e-5,
        "Rugh's configurational temperature <|grad E|^2>/<laplacian E> of samples x of `target` "
        "(2*n*d + 1 force evaluations per sample, counted by the target).");
    m.def(
        "torsion_distances",
        [](const at::Tensor& generated, const at::Tensor& reference) {
            TorsionDistances d;
            {
                py::gil_scoped_release release;
                d = torsion_distances(generated, reference);
            }
            py::dict out;
            out["w1"] = d.w1;
            out["w2"] = d.w2;
            out["torus_w2"] = d.torus_w2;
            return out;
        },
        py::arg("generated"), py::arg("reference"),
        "Exact OT distances between two sets of torsion angles [N, k], [M, k] (radians): dict "
        "w1, w2 (plane, as the reference code) and torus_w2 (on the torus: the one to read).");
    m.def("ramachandran_kl", &ramachandran_kl, py::arg("reference"), py::arg("generated"),
          py::arg("bins") = 64, Release(),
          "KL(ref || gen) of one residue's (phi, psi) ([M, 2], [N, 2] radians) on bins x bins "
          "histograms over [-pi, pi]^2 (spec section 7; it has a large finite-sample floor).");
    m.def("remove_mean", &remove_mean, py::arg("x"), Release(),
          "x minus its mean over particles ([batch, n, d]): the mean-free projection.");
}

}  // namespace pita::python
