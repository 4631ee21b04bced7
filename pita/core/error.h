#pragma once
// Error categories and the PITA_CHECK macro. Messages follow one format:
//   [component] what is wrong: got X; expected Y. Hint.
// The library throws; only the command-line tool prints and chooses an exit code.
#include <stdexcept>
#include <string>

#include <fmt/format.h>

namespace pita {

/// Base of every error pita throws on purpose.
class Error : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};
/// Bad user input: a config key, a value, a shape.
class ConfigError : public Error {
  public:
    using Error::Error;
};
/// A file that cannot be read or written, or holds something other than expected.
class IoError : public Error {
  public:
    using Error::Error;
};
/// A computation that cannot go on (e.g. no particle with a finite weight is left).
class NumericalError : public Error {
  public:
    using Error::Error;
};
/// A broken internal invariant: a bug in pita, never the user's fault.
class InternalError : public Error {
  public:
    using Error::Error;
};

namespace detail {
[[noreturn]] void throw_internal(const char* condition, const char* file, int line,
                                 const std::string& message);
}  // namespace detail

}  // namespace pita

/// Throws ErrorType with a fmt-formatted message when `cond` is false.
#define PITA_CHECK_AS(ErrorType, cond, ...)                     \
    do {                                                        \
        if (!(cond)) throw ErrorType(fmt::format(__VA_ARGS__)); \
    } while (false)

/// Checks user input: throws pita::ConfigError with the formatted message.
#define PITA_CHECK(cond, ...) PITA_CHECK_AS(::pita::ConfigError, cond, __VA_ARGS__)

/// Internal invariant, active in every build type; reports file:line.
#define PITA_ASSERT(cond, ...)                                                                   \
    do {                                                                                         \
        if (!(cond))                                                                             \
            ::pita::detail::throw_internal(#cond, __FILE__, __LINE__, fmt::format(__VA_ARGS__)); \
    } while (false)
