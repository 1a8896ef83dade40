// Relative-pose benchmark over SuperGlue pair lists (matchers.md 5.4): each row
// `name0 name1 rot0 rot1 K0(9) K1(9) T_0to1(16)`; features from an HDF5 file with one
// group per image name ('/' nests) holding keypoints [N, 2] (original pixels),
// descriptors [N, D] or [D, N]. Matches are mutual nearest neighbours; the pose comes
// from geometry::estimate_relative_pose; AUC at 5/10/20 degrees of max(e_R, e_t).
#pragma once

#include <string>
#include <vector>

#include "eval/hpatches_benchmark.h"

namespace sp::eval {

struct PosePair {
  std::string name0, name1;
  Eigen::Matrix3d K0, K1, R;
  Eigen::Vector3d t;
};

// Rows with 38 tokens; rows with fewer (no ground truth) are an error naming the line.
std::vector<PosePair> read_pose_pairs(const std::string& path);

struct PoseOptions {
  std::string pairs, predictions;
  double ransac_threshold = 1.0;  // px, divided by the mean focal length
  double confidence = 0.99999;
  uint64_t seed = 0;
  std::ostream* progress = nullptr;
};

// Per-pair records: error_R, error_t, pose_error (+inf on failure), num_matches,
// num_inliers; summary: auc_5, auc_10, auc_20, mAA, num_pairs.
HPatchesReport run_pose_benchmark(const PoseOptions& options);

}  // namespace sp::eval
