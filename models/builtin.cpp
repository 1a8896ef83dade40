// The models sp ships, registered by name. Explicit registration (rather than static
// initializers) keeps every model linked in from the static library.
#include <mutex>

#include "models/model.h"

namespace sp::models {

void register_builtin_models() {
  static std::once_flag once;
  std::call_once(once, [] {
    // Each model file adds its line here: register_model("name", factory).
  });
}

}  // namespace sp::models
