#include "pita/core/error.h"

namespace pita::detail {

void throw_internal(const char* condition, const char* file, int line, const std::string& message) {
    throw InternalError(
        fmt::format("[internal] {} ({}:{}, `{}` failed). This is a bug in pita; "
                    "please report it with the command that triggered it.",
                    message, file, line, condition));
}

}  // namespace pita::detail
