// HPatches detector/descriptor metrics (superpoint.md 9.3, choices in docs/EVALUATION.md)
// and the AUC / mAA summaries of Glue Factory and SuperGlue (matchers.md 5.1).
// Points are (x, y) pixels with integer pixel centres; an image of width W spans
// 0 <= x < W. H maps image-1 pixels to image-2 pixels.
#pragma once

#include <cstdint>
#include <vector>

#include "geometry/homography.h"

namespace sp::eval {

using geometry::Points2;
using Descriptors =
    Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;  // [N, D]

struct ImageSize {
  double width = 0, height = 0;
};

// Indices of the k highest scores (stable: ties keep the original order); all when k <= 0.
std::vector<int> top_k_indices(const Eigen::VectorXd& scores, int k);
// Flags: H-warped point lies inside `size`.
std::vector<uint8_t> warped_inside(const Points2& points, const Eigen::Matrix3d& H, ImageSize size);

struct RepeatabilityResult {
  double repeatability = 0;       // (count1 + count2) / (N1 + N2); 0 when both are empty
  double localization_error = 0;  // mean nearest distance <= threshold; NaN when no such pair
  int n1 = 0, n2 = 0, count1 = 0, count2 = 0;
};
// Shared region (image-1 points warped into image 2, image-2 points warped back into
// image 1), then the top-k of each by score, then nearest neighbours within threshold.
RepeatabilityResult repeatability(const Points2& kp1, const Eigen::VectorXd& scores1,
                                  const Points2& kp2, const Eigen::VectorXd& scores2,
                                  const Eigen::Matrix3d& H, ImageSize size1, ImageSize size2,
                                  double threshold = 3.0, int top_k = 1000);

struct Match {
  int i1, i2;
  double distance;  // descriptor L2 distance
};
// Mutual nearest neighbours by descriptor L2 distance (BFMatcher with crossCheck).
std::vector<Match> mutual_nearest_neighbours(const Descriptors& d1, const Descriptors& d2);

// sklearn.metrics.average_precision_score(labels, scores): sum over the ranking of
// (R_n - R_{n-1}) P_n, tied scores grouped; 0 when there is no positive label.
double average_precision(const std::vector<uint8_t>& labels, const std::vector<double>& scores);

struct DescriptorOptions {
  int top_k = 1000;                // points kept per image (by score) before matching
  double correct_threshold = 3.0;  // px: a match is correct if ||H p1 - p2|| <= this
  geometry::RansacOptions ransac;  // threshold 3 px, as cv2.findHomography's default
  std::vector<double> epsilons = {1, 3, 5};
};

struct DescriptorResult {
  bool estimated = false;
  double corner_error = 0;       // +inf when the estimation failed
  std::vector<uint8_t> correct;  // per epsilon: corner_error <= epsilon
  double matching_score = 0;
  double nn_ap = 0;
  int num_matches = 0, num_correct = 0, num_inliers = 0;
  Points2 matched1, matched2;          // the mutual matches' ends in each image
  std::vector<uint8_t> match_correct;  // ground-truth correctness of each match
};
// Homography estimation (mutual NN matches -> LO-RANSAC -> mean corner error over
// image 1's pixel-centre corners), matching score (2 * correct mutual matches over the
// points in the shared region of both images) and NN AP (average precision of the
// mutual matches ranked by descriptor distance, labelled by ground-truth correctness).
DescriptorResult descriptor_metrics(const Points2& kp1, const Eigen::VectorXd& scores1,
                                    const Descriptors& d1, const Points2& kp2,
                                    const Eigen::VectorXd& scores2, const Descriptors& d2,
                                    const Eigen::Matrix3d& H, ImageSize size1, ImageSize size2,
                                    const DescriptorOptions& options = {});

// Area under the recall-vs-error curve up to each threshold, divided by it (SuperGlue's
// pose_auc = Glue Factory's cal_error_auc without rounding). Failures are +inf errors.
std::vector<double> error_auc(std::vector<double> errors, const std::vector<double>& thresholds);
// Mean of error_auc over the thresholds (Glue Factory's mAA).
double mean_average_accuracy(const std::vector<double>& errors,
                             const std::vector<double>& thresholds);

}  // namespace sp::eval
