// The ground-truth component of a two-view pipeline (Glue Factory's ground_truth matchers,
// matchers.md 1.6): labels both views' keypoints by geometry (geometry/gt_matches.h) and
// adds gt_matches0 [B, N] / gt_matches1 [B, M] (i64: index, -1 unmatched, -2 ignore) and
// gt_assignment [B, N, M] (bool) to the predictions, for the matcher's loss and metrics.
//   [model.ground_truth]
//   name = "homography"        # batch H_0to1 [B, 3, 3]; th_positive 3, th_negative 3
//   name = "depth"             # batch depth0/1 [B, H, W], K0/1, T_0to1, image_size0/1;
//                              # th_positive 3, th_negative 5, th_epi 5 (0: off)
#pragma once

#include <memory>
#include <string>

#include "features/features.h"
#include "geometry/gt_matches.h"
#include "models/model.h"

namespace sp::models {

class GtLabeller {
 public:
  // From the [model.ground_truth] sub-table; throws naming unknown names.
  static std::unique_ptr<GtLabeller> from(ConfigView& config);
  GtLabeller(std::string kind, geometry::HomographyGtOptions homography,
             geometry::DepthGtOptions depth);

  const std::string& kind() const { return kind_; }
  // The batch keys it needs.
  std::vector<std::string> required_keys() const;
  // Labels the keypoints of f0 and f1 (on their device) with the geometry of `batch`.
  geometry::GtMatches label(const features::Features& f0, const features::Features& f1,
                            const Batch& batch) const;
  // label() into predictions: gt_matches0, gt_matches1, gt_assignment.
  void put(Predictions& pred, const features::Features& f0, const features::Features& f1,
           const Batch& batch) const;

 private:
  std::string kind_;
  geometry::HomographyGtOptions homography_;
  geometry::DepthGtOptions depth_;
};

}  // namespace sp::models
