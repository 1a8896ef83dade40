#include "tensor/check.h"

namespace sp::detail {

void throw_error(const std::string& message) {
  throw Error(message);
}

void throw_internal(const char* cond, const char* file, int line, const std::string& message) {
  throw Error(concat("internal error (a bug in sp): ", cond, " failed at ", file, ":", line,
                     message.empty() ? "" : ": ", message));
}

}  // namespace sp::detail
