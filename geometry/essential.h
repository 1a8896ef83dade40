// Essential matrices from five correspondences (Nistér's problem, solved with
// Stewénius' Gröbner-basis action matrix) and the two RANSAC estimators of the pose
// benchmarks (matchers.md 5.1 and 5.4):
//   OpenCvRansac  what cv2.findEssentialMat(method=RANSAC) does: 5-point samples, every
//                 solution scored by its inlier count under the squared Sampson error,
//                 adaptive iteration count (cvRound of log(1-p)/log(1-w^5)), no
//                 refinement; 1000 iterations at most by default.
//   LoRansac      the same sampling, models scored by their MSAC cost (sum of
//                 min(e^2, threshold^2) over the points) instead of the inlier count,
//                 at least min_iterations (1000) samples, and local optimisation:
//                 whenever a sample beats the best, the normalized 8-point fit on its
//                 inliers is iterated while the cost falls, then its pose is refined
//                 (refine_relative_pose, 10 steps) and kept if that lowers the cost;
//                 10000 iterations at most.
//                 estimate_relative_pose then refines the pose by Levenberg-Marquardt on
//                 the inliers' Sampson errors (refine_relative_pose), as poselib's
//                 bundle adjustment after its RANSAC does.
// Points are camera-normalized ((p - c) / f); E satisfies n1^T E n0 = 0.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "geometry/epipolar.h"

namespace sp::geometry {

// The real solutions (up to 10, each ||E||_F = 1) of exactly five correspondences.
std::vector<Eigen::Matrix3d> essential_5point(const Points2& n0, const Points2& n1);

enum class PoseEstimator { OpenCvRansac, LoRansac };
// "opencv" | "lo-ransac"; anything else throws listing them.
PoseEstimator parse_pose_estimator(const std::string& name);
const char* pose_estimator_name(PoseEstimator estimator);

struct EssentialRansacOptions {
  PoseEstimator estimator = PoseEstimator::OpenCvRansac;
  double threshold = 1e-3;  // normalized units: max Sampson distance of an inlier
  double confidence = 0.99999;
  int max_iterations = 0;  // 0: 1000 (OpenCvRansac), 10000 (LoRansac)
  uint64_t seed = 0;
  int lo_iterations = 10;
  int min_iterations = 1000;  // LoRansac only (as poselib's min_iterations)
};

// Fails (success = false) with fewer than 5 correspondences or no model with 5 inliers.
RansacResult find_essential_5point_ransac(const Points2& n0, const Points2& n1,
                                          const EssentialRansacOptions& options = {});

struct RelativePoseOptions {
  PoseEstimator estimator = PoseEstimator::OpenCvRansac;
  double threshold_px = 1.0;  // divided by the mean focal length mean(fx0, fy0, fx1, fy1)
  double confidence = 0.99999;
  int max_iterations = 0;  // 0: the estimator's default
  uint64_t seed = 0;
};

// Levenberg-Marquardt on (R, t), |t| = 1 (R <- R exp([w]x), t moved in its tangent plane):
// minimizes the Cauchy loss s^2 log(1 + r^2 / s^2) of the signed Sampson distances r of the
// masked correspondences (normalized points), s = `scale`. Returns `pose` with R and t
// refined (inliers unchanged); a pose that does not lower the cost comes back unchanged.
RelativePose refine_relative_pose(const RelativePose& pose, const Points2& n0, const Points2& n1,
                                  const std::vector<uint8_t>& mask, double scale,
                                  int iterations = 30);

// Pixels + intrinsics -> pose (SuperGlue's / Glue Factory's opencv estimator): at least 5
// matches, RANSAC on normalized points, then the candidate of E with most inliers in
// front of both cameras (recover_pose with the RANSAC mask); LoRansac refines it
// (refine_relative_pose on the RANSAC inliers, scale = the threshold).
RelativePose estimate_relative_pose(const Points2& kpts0, const Points2& kpts1,
                                    const Eigen::Matrix3d& K0, const Eigen::Matrix3d& K1,
                                    const RelativePoseOptions& options);

}  // namespace sp::geometry
