// pita's exceptions as Python exceptions carrying the same message: pita.Error is the base of
// all, and each category also derives from the Python exception a caller would expect, so
// `except ValueError` catches a bad config key.
#include <Python.h>

#include "bindings.h"
#include "pita/core/error.h"

namespace pita::python {

namespace {

/// A new exception class pita.<name>(bases...), added to the module; owned by it.
PyObject* new_exception(py::module_& m, const char* name, const py::tuple& bases, const char* doc) {
    const std::string qualified = std::string("pita.") + name;
    PyObject* type = PyErr_NewExceptionWithDoc(qualified.c_str(), doc, bases.ptr(), nullptr);
    if (type == nullptr) throw py::error_already_set();
    m.add_object(name, py::handle(type));  // the module keeps the reference
    return type;
}

}  // namespace

void bind_errors(py::module_& m) {
    // Static: the translator below outlives this function; the module holds the references.
    static PyObject* error = nullptr;
    static PyObject* config_error = nullptr;
    static PyObject* io_error = nullptr;
    static PyObject* numerical_error = nullptr;
    static PyObject* internal_error = nullptr;
    const py::handle base_exception(PyExc_Exception);
    error = new_exception(m, "Error", py::make_tuple(base_exception),
                          "Base of every error pita raises on purpose.");
    const py::handle pita_error(error);
    config_error =
        new_exception(m, "ConfigError", py::make_tuple(pita_error, py::handle(PyExc_ValueError)),
                      "Bad input: a config key, a value, a shape.");
    io_error = new_exception(m, "IoError", py::make_tuple(pita_error, py::handle(PyExc_OSError)),
                             "A file that cannot be read or written, or holds something else.");
    numerical_error = new_exception(
        m, "NumericalError", py::make_tuple(pita_error, py::handle(PyExc_ArithmeticError)),
        "A computation that cannot go on (e.g. no finite particle is left).");
    internal_error = new_exception(m, "InternalError",
                                   py::make_tuple(pita_error, py::handle(PyExc_RuntimeError)),
                                   "A broken internal invariant: a bug in pita; please report it.");

    py::register_exception_translator([](std::exception_ptr p) {
        try {
            if (p) std::rethrow_exception(p);
        } catch (const ConfigError& e) {
            PyErr_SetString(config_error, e.what());
        } catch (const IoError& e) {
            PyErr_SetString(io_error, e.what());
        } catch (const NumericalError& e) {
            PyErr_SetString(numerical_error, e.what());
        } catch (const InternalError& e) {
            PyErr_SetString(internal_error, e.what());
        } catch (const Error& e) {
            PyErr_SetString(error, e.what());
        }
    });
}

}  // namespace pita::python
