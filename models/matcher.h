// The contract of matchers (Glue Factory's matchers/): nearest neighbours, dual softmax,
// LightGlue and SuperGlue. A matcher is a Model over a two-view batch whose features
// carry the suffixes 0 and 1 (keypoints0, descriptors0, keypoint_mask0, image_size0,
// ...); its predictions are features::Matches (matches0, matching_scores0, ...).
#pragma once

#include <map>
#include <string>

#include "features/features.h"
#include "models/model.h"

namespace sp::models {

class Matcher : public Model {
 public:
  using Model::Model;

  // Matches of two feature batches of equal batch size; padding never matches.
  virtual features::Matches match(const features::Features& f0, const features::Features& f1) = 0;
};

// features::Matches as predictions (matches0, matching_scores0, ...) and back.
void put_matches(Predictions& pred, const features::Matches& matches);
features::Matches matches_of(const Predictions& pred);
// A view's features as predictions (keypoints0, ...) and back.
void put_features(Predictions& pred, const features::Features& f, const std::string& suffix);
features::Features features_of(const Predictions& pred, const std::string& suffix);
// The mutual matches of log scores [B, N, M] (a log assignment without its dustbins):
// i and j match when each is the other's argmax (pairs where `valid` [B, N, M] is false
// left out) and exp(score) > threshold; matching_scores are that exp, 0 elsewhere. The
// extraction of SuperGlue, LightGlue and the dual-softmax matcher.
features::Matches mutual_matches(const Tensor& log_scores, double threshold,
                                 const Tensor& valid = {});
// Validation metrics of predicted matches0 against gt_matches0 (-1 unmatched, -2
// ignored): match_recall (ground-truth positives found) and match_precision (predicted
// matches that are right, ignored points left out); empty without gt_matches0.
std::map<std::string, double> match_metrics(const Predictions& pred);

}  // namespace sp::models
