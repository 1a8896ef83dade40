// The models sp ships, registered by name. Explicit registration (rather than static
// initializers) keeps every model linked in from the static library.
#include <mutex>

#include "models/disk.h"
#include "models/dual_softmax_matcher.h"
#include "models/lightglue.h"
#include "models/model.h"
#include "models/nearest_neighbor_matcher.h"
#include "models/superglue.h"
#include "models/superpoint.h"
#include "models/two_view_pipeline.h"

namespace sp::models {

void register_builtin_models() {
  static std::once_flag once;
  std::call_once(once, [] {
    // Each model file adds its line here: register_model("name", factory).
    register_model("magicpoint", [](ConfigView& c) {
      return std::make_shared<SuperPoint>(SuperPointConfig::from(c, /*detector_only=*/true));
    });
    register_model("superpoint", [](ConfigView& c) {
      return std::make_shared<SuperPoint>(SuperPointConfig::from(c, /*detector_only=*/false));
    });
    register_model("disk",
                   [](ConfigView& c) { return std::make_shared<DISK>(DiskConfig::from(c)); });
    register_model("nearest_neighbor", [](ConfigView& c) {
      return std::make_shared<NearestNeighborMatcher>(NearestNeighborMatcher::options_from(c));
    });
    register_model("dual_softmax", [](ConfigView& c) {
      return std::make_shared<DualSoftmaxMatcher>(DualSoftmaxConfig::from(c));
    });
    register_model("superglue", [](ConfigView& c) {
      return std::make_shared<SuperGlue>(SuperGlueConfig::from(c));
    });
    register_model("lightglue", [](ConfigView& c) {
      return std::make_shared<LightGlue>(LightGlueConfig::from(c));
    });
    register_model("two_view_pipeline", [](ConfigView& c) { return TwoViewPipeline::from(c); });
  });
}

}  // namespace sp::models
