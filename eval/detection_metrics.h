// Keypoint detection against ground-truth corners (synthetic shapes): precision, recall
// and mean average precision at a pixel distance, as in the MagicPoint evaluation of
// [TF] (evaluations/detector_evaluation.py: compute_pr / compute_mAP).
//
// Per image, detections are taken by descending score and each is a true positive when
// an unmatched ground-truth point lies within `distance` px (one-to-one, nearest
// first). Over all images, the ranking by score gives the precision-recall curve with
// recall relative to every ground-truth point; AP = sum_n (R_n - R_{n-1}) P_n.
// Precision and recall are also reported at `threshold` (the detector's operating point).
#pragma once

#include <cstdint>
#include <vector>

#include "tensor/tensor.h"

namespace sp::eval {

struct DetectionScore {
  double precision = 0;           // at the threshold: TP / detections (0 when none)
  double recall = 0;              // at the threshold: TP / ground truth (0 when none)
  double average_precision = 0;   // over every detection given
  double localization_error = 0;  // mean px distance of the true positives at the threshold
  int64_t images = 0, detections = 0, truth = 0, true_positives = 0;
};

class DetectionEvaluator {
 public:
  DetectionEvaluator(double distance, double threshold)
      : distance_(distance), threshold_(threshold) {}

  // keypoints [N, 2] (x, y), scores [N], truth [M, 2]; any device, f32/f64.
  void add(const Tensor& keypoints, const Tensor& scores, const Tensor& truth);
  DetectionScore result() const;

 private:
  double distance_, threshold_;
  struct Scored {
    double score;
    bool correct;
    double error;
  };
  std::vector<Scored> all_;
  int64_t images_ = 0, truth_ = 0;
};

}  // namespace sp::eval
