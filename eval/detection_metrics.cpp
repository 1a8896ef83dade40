#include "eval/detection_metrics.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "tensor/check.h"

namespace sp::eval {

namespace {
std::vector<double> to_doubles(const Tensor& t) {
  Tensor c = t.cpu().to(DType::F64).contiguous();
  const double* p = c.data<double>();
  return std::vector<double>(p, p + c.numel());
}
}  // namespace

void DetectionEvaluator::add(const Tensor& keypoints, const Tensor& scores, const Tensor& truth) {
  SP_CHECK(keypoints.dim() == 2 && keypoints.size(1) == 2 && scores.dim() == 1 &&
               scores.size(0) == keypoints.size(0),
           "detection eval: expected keypoints [N, 2] and scores [N], got ", keypoints.shape(),
           " and ", scores.shape());
  SP_CHECK(truth.dim() == 2 && truth.size(1) == 2, "detection eval: expected truth [M, 2], got ",
           truth.shape());
  const std::vector<double> kp = to_doubles(keypoints), sc = to_doubles(scores),
                            gt = to_doubles(truth);
  const size_t n = sc.size(), m = gt.size() / 2;
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return sc[a] > sc[b]; });
  std::vector<bool> used(m, false);
  for (size_t i : order) {
    double best = distance_;
    size_t best_j = m;
    for (size_t j = 0; j < m; ++j) {
      if (used[j]) continue;
      const double d = std::hypot(kp[2 * i] - gt[2 * j], kp[2 * i + 1] - gt[2 * j + 1]);
      if (d <= best) {
        best = d;
        best_j = j;
      }
    }
    if (best_j < m) used[best_j] = true;
    all_.push_back({sc[i], best_j < m, best_j < m ? best : 0.0});
  }
  ++images_;
  truth_ += int64_t(m);
}

DetectionScore DetectionEvaluator::result() const {
  DetectionScore r;
  r.images = images_;
  r.truth = truth_;
  std::vector<Scored> ranked = all_;
  std::stable_sort(ranked.begin(), ranked.end(),
                   [](const Scored& a, const Scored& b) { return a.score > b.score; });
  int64_t tp = 0, tp_at = 0, det_at = 0;
  double prev_recall = 0, ap = 0, error_sum = 0;
  for (size_t k = 0; k < ranked.size(); ++k) {
    tp += ranked[k].correct;
    // Tied scores enter the curve together (one point per distinct score).
    const bool last_of_tie = k + 1 == ranked.size() || ranked[k + 1].score != ranked[k].score;
    if (last_of_tie && truth_ > 0) {
      const double recall = double(tp) / double(truth_), precision = double(tp) / double(k + 1);
      ap += (recall - prev_recall) * precision;
      prev_recall = recall;
    }
    if (ranked[k].score >= threshold_) {
      ++det_at;
      if (ranked[k].correct) {
        ++tp_at;
        error_sum += ranked[k].error;
      }
    }
  }
  r.detections = det_at;
  r.true_positives = tp_at;
  r.precision = det_at > 0 ? double(tp_at) / double(det_at) : 0.0;
  r.recall = truth_ > 0 ? double(tp_at) / double(truth_) : 0.0;
  r.average_precision = ap;
  r.localization_error = tp_at > 0 ? error_sum / double(tp_at) : 0.0;
  return r;
}

}  // namespace sp::eval
