// Errors: SP_CHECK for user-facing preconditions, SP_ASSERT for internal invariants.
// Message form (DESIGN.md): "<component>: expected <what>, got <actual>[; hint: ...]".
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>

namespace sp {

// Everything sp throws. Apps catch it, print what() on one line and return non-zero.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

namespace detail {
template <typename... Args>
std::string concat(const Args&... args) {
  std::ostringstream out;
  ((out << args), ...);
  return out.str();
}
[[noreturn]] void throw_error(const std::string& message);
[[noreturn]] void throw_internal(const char* cond, const char* file, int line,
                                 const std::string& message);
}  // namespace detail

}  // namespace sp

// SP_CHECK(cond, parts...): throws sp::Error with the parts streamed together.
#define SP_CHECK(cond, ...)                                                    \
  do {                                                                         \
    if (!(cond)) ::sp::detail::throw_error(::sp::detail::concat(__VA_ARGS__)); \
  } while (0)

// SP_ASSERT(cond, parts...): an internal invariant; a failure is a bug in sp.
#define SP_ASSERT(cond, ...)                                                                      \
  do {                                                                                            \
    if (!(cond))                                                                                  \
      ::sp::detail::throw_internal(#cond, __FILE__, __LINE__, ::sp::detail::concat(__VA_ARGS__)); \
  } while (0)

#define SP_FAIL(...) ::sp::detail::throw_error(::sp::detail::concat(__VA_ARGS__))
