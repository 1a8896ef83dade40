// Mutual nearest-neighbour matching as a Matcher model (Glue Factory's
// nearest_neighbor_matcher): no parameters, no loss. Config keys (the [model] or
// [model.matcher] table): mutual (true), ratio_threshold (0 = off), distance_threshold
// (0 = off); features/nearest_neighbor.h has their meaning.
#pragma once

#include "features/nearest_neighbor.h"
#include "models/matcher.h"

namespace sp::models {

class NearestNeighborMatcher : public Matcher {
 public:
  explicit NearestNeighborMatcher(features::NearestNeighborOptions options = {});
  static features::NearestNeighborOptions options_from(ConfigView& config);

  const features::NearestNeighborOptions& options() const { return options_; }
  std::vector<std::string> required_keys() const override;
  Predictions forward(const Batch& batch) override;
  // A zero total: nothing to train.
  Losses loss(const Predictions& pred, const Batch& batch) override;
  std::map<std::string, double> metrics(const Predictions& pred, const Batch& batch) override;
  features::Matches match(const features::Features& f0, const features::Features& f1) override;

 private:
  features::NearestNeighborOptions options_;
};

}  // namespace sp::models
