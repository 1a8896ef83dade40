#include "models/nearest_neighbor_matcher.h"

#include "tensor/ops/creation.h"

namespace sp::models {

NearestNeighborMatcher::NearestNeighborMatcher(features::NearestNeighborOptions options)
    : Matcher("NearestNeighborMatcher"), options_(options) {}

features::NearestNeighborOptions NearestNeighborMatcher::options_from(ConfigView& c) {
  features::NearestNeighborOptions o;
  o.mutual = c.get_bool("mutual", o.mutual);
  o.ratio_threshold = c.get_double("ratio_threshold", o.ratio_threshold);
  o.distance_threshold = c.get_double("distance_threshold", o.distance_threshold);
  SP_CHECK(
      o.ratio_threshold >= 0 && o.distance_threshold >= 0,
      "nearest_neighbor config: expected ratio_threshold >= 0 and distance_threshold >= 0, got ",
      o.ratio_threshold, " and ", o.distance_threshold);
  return o;
}

std::vector<std::string> NearestNeighborMatcher::required_keys() const {
  return {"keypoints0", "keypoints1", "descriptors0", "descriptors1"};
}

Predictions NearestNeighborMatcher::forward(const Batch& batch) {
  Predictions pred("predictions");
  put_matches(pred, match(features::Features::take(batch.items(), "0"),
                          features::Features::take(batch.items(), "1")));
  return pred;
}

Losses NearestNeighborMatcher::loss(const Predictions& pred, const Batch&) {
  Losses out;
  const Device device = pred.has("matches0") ? pred.at("matches0").data().device() : Device(kCPU);
  out.total = ag::Var(zeros({}, DType::F32, device));
  out.terms["total"] = out.total.data();
  return out;
}

std::map<std::string, double> NearestNeighborMatcher::metrics(const Predictions&, const Batch&) {
  return {};
}

features::Matches NearestNeighborMatcher::match(const features::Features& f0,
                                                const features::Features& f1) {
  return features::match_nearest_neighbors(f0, f1, options_);
}

}  // namespace sp::models
