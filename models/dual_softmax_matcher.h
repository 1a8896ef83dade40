// A small trainable matcher for the two-view training machinery (tests, feature-cache
// timings), before SuperGlue and LightGlue land: a learned linear projection of the
// descriptors (L2-normalised), similarities / temperature, dual softmax in log space
// (ag::log_double_softmax, LoFTR's coarse matching without a dustbin), matches = mutual
// argmax with probability above match_threshold. Loss: the negative log-likelihood of the
// ground-truth positives (gt_assignment from the pipeline's ground truth), averaged over
// the positives of each pair, then over the pairs with at least one.
//   [model.matcher] name = "dual_softmax", descriptor_dim (256), dim (descriptor_dim),
//                   temperature (0.1), match_threshold (0.2)
// Predictions: matches0/1, matching_scores0/1 (no gradient) and log_assignment
// [B, N, M] (with gradient). Metrics (needs gt_matches0): match_recall (positives found),
// match_precision (predicted matches that are positives, over those on non-ignored points).
#pragma once

#include <memory>

#include "models/matcher.h"
#include "nn/linear.h"

namespace sp::models {

struct DualSoftmaxConfig {
  int64_t descriptor_dim = 256;
  int64_t dim = 0;  // 0: descriptor_dim
  double temperature = 0.1;
  double match_threshold = 0.2;
  static DualSoftmaxConfig from(ConfigView& config);
};

class DualSoftmaxMatcher : public Matcher {
 public:
  explicit DualSoftmaxMatcher(DualSoftmaxConfig config);

  std::vector<std::string> required_keys() const override;
  Predictions forward(const Batch& batch) override;
  Losses loss(const Predictions& pred, const Batch& batch) override;
  std::map<std::string, double> metrics(const Predictions& pred, const Batch& batch) override;
  features::Matches match(const features::Features& f0, const features::Features& f1) override;

 private:
  // log P [B, N, M] with gradients, and the matches read from it.
  ag::Var log_assignment(const features::Features& f0, const features::Features& f1);
  features::Matches matches_from(const Tensor& log_p, const Tensor& valid) const;

  DualSoftmaxConfig config_;
  std::shared_ptr<nn::Linear> proj_;
};

}  // namespace sp::models
