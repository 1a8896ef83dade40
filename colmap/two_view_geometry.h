// Geometric verification of an image pair's matches, as COLMAP's
// EstimateTwoViewGeometry does it for a database's two_view_geometries, with sp's own
// RANSAC (geometry/epipolar.h): a fundamental matrix always; when both cameras have a
// prior focal length, also an essential matrix, preferred when it keeps at least
// min_e_f_inlier_ratio of F's inliers (config Calibrated, with the relative pose), else
// F (config Uncalibrated). Too few matches or inliers: Degenerate, no inliers.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "colmap/database.h"
#include "geometry/homography.h"

namespace sp::colmap {

struct VerifyOptions {
  double max_error = 4.0;  // px, Sampson distance of an inlier (COLMAP's default)
  double confidence = 0.999;
  int max_iterations = 10000;
  int min_num_inliers = 15;
  double min_inlier_ratio = 0.25;
  double min_e_f_inlier_ratio = 0.95;
  uint64_t seed = 0;
};

// kp1, kp2: all keypoints of both images (pixels, any consistent convention), matches:
// indices into them. Cameras: intrinsics (principal point and focal) for the essential
// matrix; only used when both have prior_focal_length.
TwoViewGeometry verify_matches(const geometry::Points2& kp1, const geometry::Points2& kp2,
                               const std::vector<std::array<uint32_t, 2>>& matches,
                               const Camera& camera1, const Camera& camera2,
                               const VerifyOptions& options = {});

// Focal length (px) and principal point of a camera's parameters.
Eigen::Matrix3d calibration_matrix(const Camera& camera);

}  // namespace sp::colmap
