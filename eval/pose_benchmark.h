// Relative-pose benchmark (matchers.md 5.1, 5.3, 5.4) over pairs with ground truth
// (eval/pose_pairs.h: SuperGlue pair lists, MegaDepth-1500): matched keypoints (original
// pixels, integer pixel centres) -> essential matrix by RANSAC (geometry/essential.h:
// "opencv" or "lo-ransac", threshold px / mean focal) -> pose error max(e_R, e_t)
// (+inf on failure) -> AUC at 5/10/20 degrees and mAA (their mean). Several thresholds:
// the sweep of Glue Factory (eval.ransac_th = -1: 0.5 ... 3.0), reporting every
// threshold's AUCs and the one with the best mAA.
//
// From files (`speval --pose`): features from an HDF5 feature file (features/
// feature_files.h: sp, hloc or DISK layout) matched by mutual nearest neighbours, or
// matches from an hloc/DISK match file. A pair naming an image the feature file lacks is
// skipped and counted (summary num_skipped; progress names it), not graded.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "eval/hpatches_benchmark.h"
#include "eval/pose_pairs.h"
#include "geometry/essential.h"

namespace sp::eval {

// The matched keypoints of one pair, row k of kpts0 with row k of kpts1.
struct PairMatches {
  Points2 kpts0, kpts1;
};

struct PoseEvalOptions {
  geometry::PoseEstimator estimator = geometry::PoseEstimator::OpenCvRansac;
  std::vector<double> ransac_thresholds = {1.0};  // px; several: the sweep
  double confidence = 0.99999;
  uint64_t seed = 0;
};

// Glue Factory's sweep: 0.5, 1.0, ..., 3.0 px.
std::vector<double> threshold_sweep();

// Grades the pairs; matches[i] empty (nullopt) = skipped pair. Records per pair (name
// "name0 name1"): error_R, error_t, pose_error, num_matches, num_inliers at the best
// threshold; summary: num_pairs (graded), num_skipped, pose_auc_5/10/20, pose_mAA,
// ransac_threshold (the best), and with several thresholds "th<t>/pose_auc_5", ...
HPatchesReport evaluate_poses(const std::vector<PosePair>& pairs,
                              const std::vector<std::optional<PairMatches>>& matches,
                              const PoseEvalOptions& options);

struct PoseOptions {
  std::string pairs;        // SuperGlue pair list, or a posed-images folder (MegaDepth-1500)
  std::string predictions;  // features: .h5 file (sp, hloc) or DISK folder
  std::string matches;      // optional: hloc (.h5) match file instead of mutual NN
  PoseEvalOptions eval;
  // When set: the matches of every graded pair and its ground truth, for external
  // checks (scripts/pose_external_check.py runs poselib and OpenCV on them): groups
  // "<index>" with kpts0, kpts1 [K, 2] f64, K0, K1 [3, 3], T_0to1 [4, 4], and the
  // attributes name0, name1.
  std::string save_matches;
  std::ostream* progress = nullptr;
};

HPatchesReport run_pose_benchmark(const PoseOptions& options);

// The matched keypoints of every pair from a feature file (mutual NN on descriptors) or a
// match file; nullopt where an image is missing (named on `progress`).
std::vector<std::optional<PairMatches>> load_pair_matches(const std::vector<PosePair>& pairs,
                                                          const std::string& predictions,
                                                          const std::string& matches,
                                                          std::ostream* progress);

// Writes the `save_matches` file described above.
void save_pair_matches(const std::string& path, const std::vector<PosePair>& pairs,
                       const std::vector<std::optional<PairMatches>>& matches);

}  // namespace sp::eval
