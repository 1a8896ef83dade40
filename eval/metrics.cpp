#include "eval/metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "features/nearest_neighbor.h"
#include "tensor/check.h"
#include "tensor/ops/creation.h"

namespace sp::eval {

namespace {

Points2 rows(const Points2& p, const std::vector<int>& idx) {
  Points2 out(idx.size(), 2);
  for (size_t i = 0; i < idx.size(); ++i) out.row(i) = p.row(idx[i]);
  return out;
}

void check_points(const Points2& kp, const Eigen::VectorXd& scores, const char* name) {
  SP_CHECK(kp.rows() == scores.size(), "eval: expected one score per keypoint in ", name, ", got ",
           kp.rows(), " keypoints and ", scores.size(), " scores");
}

}  // namespace

std::vector<int> top_k_indices(const Eigen::VectorXd& scores, int k) {
  std::vector<int> idx(scores.size());
  std::iota(idx.begin(), idx.end(), 0);
  std::stable_sort(idx.begin(), idx.end(), [&](int a, int b) { return scores[a] > scores[b]; });
  if (k > 0 && int(idx.size()) > k) idx.resize(k);
  return idx;
}

std::vector<uint8_t> warped_inside(const Points2& points, const Eigen::Matrix3d& H,
                                   ImageSize size) {
  Points2 w = geometry::transform_points(H, points);
  std::vector<uint8_t> inside(points.rows());
  for (int64_t i = 0; i < w.rows(); ++i)
    inside[i] = w(i, 0) >= 0 && w(i, 0) < size.width && w(i, 1) >= 0 && w(i, 1) < size.height;
  return inside;
}

RepeatabilityResult repeatability(const Points2& kp1, const Eigen::VectorXd& scores1,
                                  const Points2& kp2, const Eigen::VectorXd& scores2,
                                  const Eigen::Matrix3d& H, ImageSize size1, ImageSize size2,
                                  double threshold, int top_k) {
  check_points(kp1, scores1, "image 1");
  check_points(kp2, scores2, "image 2");
  auto shared = [&](const Points2& kp, const Eigen::VectorXd& s, const Eigen::Matrix3d& M,
                    ImageSize size) {
    std::vector<uint8_t> in = warped_inside(kp, M, size);
    std::vector<int> keep;
    for (size_t i = 0; i < in.size(); ++i)
      if (in[i]) keep.push_back(int(i));
    Eigen::VectorXd ks(keep.size());
    for (size_t i = 0; i < keep.size(); ++i) ks[i] = s[keep[i]];
    std::vector<int> top = top_k_indices(ks, top_k);
    std::vector<int> out;
    for (int t : top) out.push_back(keep[t]);
    return out;
  };
  // Image-1 points are compared in image 2's frame.
  Points2 p1 = geometry::transform_points(H, rows(kp1, shared(kp1, scores1, H, size2)));
  Points2 p2 = rows(kp2, shared(kp2, scores2, H.inverse(), size1));
  RepeatabilityResult r;
  r.n1 = int(p1.rows());
  r.n2 = int(p2.rows());
  if (r.n1 == 0 && r.n2 == 0) {
    r.localization_error = std::numeric_limits<double>::quiet_NaN();
    return r;
  }
  double sum = 0;
  Eigen::VectorXd min2 = Eigen::VectorXd::Constant(r.n2, std::numeric_limits<double>::infinity());
  for (int i = 0; i < r.n1; ++i) {
    double best = std::numeric_limits<double>::infinity();
    for (int j = 0; j < r.n2; ++j) {
      double d = (p1.row(i) - p2.row(j)).norm();
      best = std::min(best, d);
      min2[j] = std::min(min2[j], d);
    }
    if (best <= threshold) {
      ++r.count1;
      sum += best;
    }
  }
  for (int j = 0; j < r.n2; ++j)
    if (min2[j] <= threshold) {
      ++r.count2;
      sum += min2[j];
    }
  r.repeatability = double(r.count1 + r.count2) / double(r.n1 + r.n2);
  r.localization_error = r.count1 + r.count2 > 0 ? sum / (r.count1 + r.count2)
                                                 : std::numeric_limits<double>::quiet_NaN();
  return r;
}

std::vector<Match> mutual_nearest_neighbours(const Descriptors& d1, const Descriptors& d2) {
  SP_CHECK(d1.rows() == 0 || d2.rows() == 0 || d1.cols() == d2.cols(),
           "mutual_nearest_neighbours: expected descriptors of equal size, got ", d1.cols(),
           " and ", d2.cols());
  std::vector<Match> out;
  if (d1.rows() == 0 || d2.rows() == 0) return out;
  // features/'s matcher in f64, so distances and ties are those of exact arithmetic.
  auto to_tensor = [](const Descriptors& d) {
    const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> m =
        d.cast<double>();
    return from_data(m.data(), Shape{1, int64_t(m.rows()), int64_t(m.cols())}, DType::F64);
  };
  const Tensor a = to_tensor(d1), b = to_tensor(d2);
  const Tensor m0 = features::match_nearest_neighbors(a, b).matches0.contiguous();
  const int64_t* p = m0.data<int64_t>();
  for (int64_t i = 0; i < d1.rows(); ++i) {
    if (p[i] < 0) continue;
    const double distance = (d1.row(i).cast<double>() - d2.row(p[i]).cast<double>()).norm();
    out.push_back({int(i), int(p[i]), distance});
  }
  return out;
}

double average_precision(const std::vector<uint8_t>& labels, const std::vector<double>& scores) {
  SP_CHECK(labels.size() == scores.size(), "average_precision: expected one score per label, got ",
           labels.size(), " labels and ", scores.size(), " scores");
  double positives = std::count(labels.begin(), labels.end(), 1);
  if (positives == 0) return 0.0;
  std::vector<int> order(labels.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return scores[a] > scores[b]; });
  double ap = 0, tp = 0, prev_recall = 0;
  for (size_t k = 0; k < order.size(); ++k) {
    tp += labels[order[k]];
    // A threshold lies after each group of tied scores.
    if (k + 1 < order.size() && scores[order[k + 1]] == scores[order[k]]) continue;
    double recall = tp / positives, precision = tp / double(k + 1);
    ap += (recall - prev_recall) * precision;
    prev_recall = recall;
  }
  return ap;
}

DescriptorResult descriptor_metrics(const Points2& kp1, const Eigen::VectorXd& scores1,
                                    const Descriptors& d1, const Points2& kp2,
                                    const Eigen::VectorXd& scores2, const Descriptors& d2,
                                    const Eigen::Matrix3d& H, ImageSize size1, ImageSize size2,
                                    const DescriptorOptions& options) {
  check_points(kp1, scores1, "image 1");
  check_points(kp2, scores2, "image 2");
  SP_CHECK(d1.rows() == kp1.rows() && d2.rows() == kp2.rows(),
           "descriptor_metrics: expected one descriptor per ", "keypoint, got ", d1.rows(), " for ",
           kp1.rows(), " and ", d2.rows(), " for ", kp2.rows());
  std::vector<int> top1 = top_k_indices(scores1, options.top_k),
                   top2 = top_k_indices(scores2, options.top_k);
  Points2 p1 = rows(kp1, top1), p2 = rows(kp2, top2);
  Descriptors e1(top1.size(), d1.cols()), e2(top2.size(), d2.cols());
  for (size_t i = 0; i < top1.size(); ++i) e1.row(i) = d1.row(top1[i]);
  for (size_t i = 0; i < top2.size(); ++i) e2.row(i) = d2.row(top2[i]);

  DescriptorResult r;
  std::vector<Match> matches = mutual_nearest_neighbours(e1, e2);
  r.num_matches = int(matches.size());
  Points2 m1(matches.size(), 2), m2(matches.size(), 2);
  for (size_t k = 0; k < matches.size(); ++k) {
    m1.row(k) = p1.row(matches[k].i1);
    m2.row(k) = p2.row(matches[k].i2);
  }
  // Ground-truth correctness of each match.
  Points2 m1w = geometry::transform_points(H, m1);
  std::vector<uint8_t> labels(matches.size());
  std::vector<double> neg_dist(matches.size());
  for (size_t k = 0; k < matches.size(); ++k) {
    labels[k] = (m1w.row(k) - m2.row(k)).norm() <= options.correct_threshold;
    neg_dist[k] = -matches[k].distance;
    r.num_correct += labels[k];
  }
  r.nn_ap = average_precision(labels, neg_dist);
  r.matched1 = m1;
  r.matched2 = m2;
  r.match_correct = labels;

  std::vector<uint8_t> in1 = warped_inside(p1, H, size2),
                       in2 = warped_inside(p2, H.inverse(), size1);
  double shared = std::count(in1.begin(), in1.end(), 1) + std::count(in2.begin(), in2.end(), 1);
  r.matching_score = shared > 0 ? 2.0 * r.num_correct / shared : 0.0;

  r.corner_error = std::numeric_limits<double>::infinity();
  geometry::RansacResult ransac = geometry::find_homography_ransac(m1, m2, options.ransac);
  if (ransac.success) {
    r.estimated = true;
    r.num_inliers = ransac.num_inliers;
    r.corner_error = geometry::mean_corner_error(ransac.model, H, size1.width, size1.height);
  }
  for (double eps : options.epsilons) r.correct.push_back(r.corner_error <= eps);
  return r;
}

std::vector<double> error_auc(std::vector<double> errors, const std::vector<double>& thresholds) {
  std::sort(errors.begin(), errors.end());
  const size_t n = errors.size();
  std::vector<double> out;
  for (double t : thresholds) {
    SP_CHECK(t > 0, "error_auc: expected thresholds > 0, got ", t);
    if (n == 0) {
      out.push_back(0.0);
      continue;
    }
    // Curve through (0, 0) and (e_k, k / n) for the errors below t, closed at (t, last recall).
    double area = 0, prev_e = 0, prev_r = 0;
    for (size_t k = 0; k < n && errors[k] < t; ++k) {
      double rec = double(k + 1) / n;
      area += (errors[k] - prev_e) * (rec + prev_r) / 2;
      prev_e = errors[k];
      prev_r = rec;
    }
    area += (t - prev_e) * prev_r;
    out.push_back(area / t);
  }
  return out;
}

double mean_average_accuracy(const std::vector<double>& errors,
                             const std::vector<double>& thresholds) {
  std::vector<double> aucs = error_auc(errors, thresholds);
  return aucs.empty() ? 0.0 : std::accumulate(aucs.begin(), aucs.end(), 0.0) / aucs.size();
}

}  // namespace sp::eval
