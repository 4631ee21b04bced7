// The extension `_pita`; the package python/pita/__init__.py imports torch first (the tensor
// casters need torch's Python types) and then this module.
#include "bindings.h"
#include "pita/core/version.h"

PYBIND11_MODULE(_pita, m) {
    using namespace pita::python;
    m.doc() = "pita's C++ library (the extension behind the `pita` package).";
    m.attr("__version__") = pita::version();
    m.attr("git_hash") = pita::git_hash();
    bind_errors(m);
    bind_targets(m);
    bind_samplers(m);
    bind_checkpoint(m);
    bind_run(m);
    bind_metrics(m);
}
