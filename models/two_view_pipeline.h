// An extractor and a matcher over image pairs (Glue Factory's two_view_pipeline,
// matchers.md 1.6):
//   [model]            name = "two_view_pipeline"
//   [model.extractor]  name = "superpoint", and that model's keys
//   [model.matcher]    name = "nearest_neighbor", and that model's keys
//   [model.ground_truth]  optional: name = "homography" | "depth" (models/gt_labeller.h)
// Batch: "image0" and "image1" [B, C, H, W] in [0, 1], or a view's cached features
// (keypoints0, descriptors0, ...), which skip its extraction. Predictions: both views'
// features (keypoints0, keypoint_scores0, descriptors0, keypoint_mask0, image_size0, and
// the same with 1), the matcher's forward (matches0, matching_scores0, ..., with
// gradients for a trainable matcher) and, with a ground truth, gt_matches0/1 and
// gt_assignment (computed in forward, Glue Factory's run_gt_in_forward, when the batch
// carries the geometry: benchmark and matching batches do not; loss() then fails naming
// the missing key). Parameters are
// named extractor.* and matcher.*. The extractor is frozen: it runs without gradients and
// stays in eval mode when the pipeline trains.
#pragma once

#include <memory>

#include "models/extractor.h"
#include "models/gt_labeller.h"
#include "models/matcher.h"

namespace sp::models {

class TwoViewPipeline : public Model {
 public:
  TwoViewPipeline(std::shared_ptr<Extractor> extractor, std::shared_ptr<Matcher> matcher,
                  std::shared_ptr<GtLabeller> ground_truth = nullptr);
  // Builds both components from the config's extractor and matcher sub-tables.
  static std::shared_ptr<TwoViewPipeline> from(ConfigView& config);

  Extractor& extractor() { return *extractor_; }
  Matcher& matcher() { return *matcher_; }
  const GtLabeller* ground_truth() const { return ground_truth_.get(); }

  std::vector<std::string> required_keys() const override { return {}; }
  Predictions forward(const Batch& batch) override;
  Losses loss(const Predictions& pred, const Batch& batch) override;
  std::map<std::string, double> metrics(const Predictions& pred, const Batch& batch) override;
  void train(bool on = true) override;
  int64_t image_size_multiple() const override { return extractor_->image_size_multiple(); }

 private:
  features::Features view(const Batch& batch, const std::string& suffix);

  std::shared_ptr<Extractor> extractor_;
  std::shared_ptr<Matcher> matcher_;
  std::shared_ptr<GtLabeller> ground_truth_;
};

}  // namespace sp::models
