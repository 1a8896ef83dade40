// Essential matrices from five correspondences (Nistér's problem, solved with
// Stewénius' Gröbner-basis action matrix) and the two RANSAC estimators of the pose
// benchmarks (matchers.md 5.1 and 5.4):
//   OpenCvRansac  what cv2.findEssentialMat(method=RANSAC) does: 5-point samples, every
//                 solution scored by its inlier count under the squared Sampson error,
//                 adaptive iteration count (cvRound of log(1-p)/log(1-w^5)), no
//                 refinement; 1000 iterations at most by default.
//   LoRansac      LO-RANSAC on poses, as poselib's estimate_relative_pose: each 5-point
//                 solution is split into the (R, t) that put the sample in front of both
//                 cameras; a pose is scored by its MSAC cost, where a point counts as an
//                 inlier (cost e^2) only when its squared Sampson error e^2 is under
//                 threshold^2 AND it triangulates in front of both cameras, else costs
//                 threshold^2. Whenever a sample's best pose beats the best minimal model
//                 so far (more inliers or lower cost), it is locally optimised: Levenberg-
//                 Marquardt with the truncated loss min(r^2, threshold^2) on the points
//                 within sqrt(5) threshold (lo_iterations steps), kept if its cost is
//                 lower. At least min_iterations (1000) samples, then until
//                 3 log(1 - confidence) / log(1 - w^5) (w: inlier ratio of the best);
//                 10000 at most. The best is optimised once more at the end.
//                 estimate_relative_pose then refines the pose by Levenberg-Marquardt on
//                 the inliers' Sampson errors with a Cauchy loss (refine_relative_pose,
//                 100 steps), as poselib's bundle adjustment after its RANSAC does.
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
  int lo_iterations = 25;     // LoRansac: Levenberg-Marquardt steps of each local optimisation
  int min_iterations = 1000;  // LoRansac only (as poselib's min_iterations)
};

// Fails (success = false) with fewer than 5 correspondences or no model with 5 inliers.
RansacResult find_essential_5point_ransac(const Points2& n0, const Points2& n1,
                                          const EssentialRansacOptions& options = {});

// The LoRansac estimator on normalized points: the pose with its inliers (under the
// threshold and in front of both cameras); success = false with no pose of 5 inliers.
// `iterations`, when given, receives the number of samples drawn.
RelativePose lo_ransac_relative_pose(const Points2& n0, const Points2& n1,
                                     const EssentialRansacOptions& options,
                                     int* iterations = nullptr);

// E = [t]x R (n1^T E n0 = 0 for X1 = R X0 + t).
Eigen::Matrix3d essential_from_pose(const Eigen::Matrix3d& R, const Eigen::Vector3d& t);

// Whether the rays of n0 and n1 meet (closest points of the two rays) at depths above
// min_depth in both cameras, |t| = 1.
bool in_front_of_both(const Eigen::Matrix3d& R, const Eigen::Vector3d& t, const Eigen::Vector2d& n0,
                      const Eigen::Vector2d& n1, double min_depth = 0.01);

// LoRansac's MSAC cost of a pose: sum over points of e^2 (squared Sampson error) for the
// inliers (e < threshold and in_front_of_both) and threshold^2 for the others; `inliers`,
// when given, receives the inlier mask.
double pose_msac_score(const RelativePose& pose, const Points2& n0, const Points2& n1,
                       double threshold, std::vector<uint8_t>* inliers = nullptr);

struct RelativePoseOptions {
  PoseEstimator estimator = PoseEstimator::OpenCvRansac;
  double threshold_px = 1.0;  // divided by the mean focal length mean(fx0, fy0, fx1, fy1)
  double confidence = 0.99999;
  int max_iterations = 0;  // 0: the estimator's default
  uint64_t seed = 0;
};

// Levenberg-Marquardt on (R, t), |t| = 1 (R <- R exp([w]x), t moved in its tangent plane):
// minimizes the loss of the signed Sampson distances r of the masked correspondences
// (normalized points), s = `scale` (RobustLoss, geometry/homography.h). Returns `pose` with R and t
// refined (inliers unchanged); a pose that does not lower the cost comes back unchanged.
RelativePose refine_relative_pose(const RelativePose& pose, const Points2& n0, const Points2& n1,
                                  const std::vector<uint8_t>& mask, double scale,
                                  int iterations = 30, RobustLoss loss = RobustLoss::Cauchy);

// Pixels + intrinsics -> pose (SuperGlue's / Glue Factory's opencv estimator): at least 5
// matches, RANSAC on normalized points, then the candidate of E with most inliers in
// front of both cameras (recover_pose with the RANSAC mask); LoRansac takes the pose of
// lo_ransac_relative_pose and refines it (refine_relative_pose on its inliers, Cauchy,
// scale = the threshold, 100 steps).
RelativePose estimate_relative_pose(const Points2& kpts0, const Points2& kpts1,
                                    const Eigen::Matrix3d& K0, const Eigen::Matrix3d& K1,
                                    const RelativePoseOptions& options);

}  // namespace sp::geometry
