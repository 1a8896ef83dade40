// Epipolar geometry in double precision: normalized 8-point fundamental/essential
// matrices, their RANSAC, essential decomposition with the cheirality check, and the
// relative-pose errors used by the pose benchmarks (SuperGlue / Glue Factory).
#pragma once

#include <cstdint>
#include <vector>

#include "geometry/eigen.h"
#include "geometry/homography.h"

namespace sp::geometry {

// F with x1^T F x0 = 0 (pixels), rank 2, ||F||_F = 1. Needs >= 8 correspondences.
Eigen::Matrix3d fundamental_8point(const Points2& x0, const Points2& x1);
// E with n1^T E n0 = 0 for camera-normalized points, singular values projected to (1, 1, 0).
Eigen::Matrix3d essential_8point(const Points2& n0, const Points2& n1);

// Squared Sampson distances of every correspondence to the epipolar model M (F or E).
Eigen::VectorXd sampson_errors2(const Eigen::Matrix3d& M, const Points2& x0, const Points2& x1);

// LO-RANSAC with 8-point samples; an inlier has Sampson distance <= threshold (in the
// units of the points: pixels for F, normalized coordinates for E).
RansacResult find_fundamental_ransac(const Points2& x0, const Points2& x1,
                                     const RansacOptions& options = {});
RansacResult find_essential_ransac(const Points2& n0, const Points2& n1,
                                   const RansacOptions& options = {});

// (p - c) / f per point: pixels to normalized camera coordinates.
Points2 normalize_points(const Points2& pixels, const Eigen::Matrix3d& K);

// The four (R, t) candidates of E: (R1, t), (R1, -t), (R2, t), (R2, -t), with |t| = 1.
void decompose_essential(const Eigen::Matrix3d& E, Eigen::Matrix3d& R1, Eigen::Matrix3d& R2,
                         Eigen::Vector3d& t);

// Linear triangulation with P0 = [I | 0] and P1 = [R | t] (normalized coordinates).
Eigen::Vector4d triangulate(const Eigen::Vector2d& n0, const Eigen::Vector2d& n1,
                            const Eigen::Matrix3d& R, const Eigen::Vector3d& t);

struct RelativePose {
  bool success = false;
  Eigen::Matrix3d R = Eigen::Matrix3d::Identity();  // camera 0 -> camera 1: X1 = R X0 + t
  Eigen::Vector3d t = Eigen::Vector3d::Zero();      // unit length
  std::vector<uint8_t> inliers;                     // RANSAC inliers in front of both cameras
  int num_inliers = 0;
};

// The candidate of E with the most (masked) points in front of both cameras.
RelativePose recover_pose(const Eigen::Matrix3d& E, const Points2& n0, const Points2& n1,
                          const std::vector<uint8_t>& mask = {});

// Pixels + intrinsics -> pose (SuperGlue's protocol): needs >= 5 matches (else failure),
// threshold_px is divided by the mean focal length mean(fx0, fy0, fx1, fy1).
RelativePose estimate_relative_pose(const Points2& kpts0, const Points2& kpts1,
                                    const Eigen::Matrix3d& K0, const Eigen::Matrix3d& K1,
                                    double threshold_px, double confidence = 0.99999,
                                    uint64_t seed = 0);

// Angle of R_est^T R_gt in degrees.
double rotation_error_deg(const Eigen::Matrix3d& R_est, const Eigen::Matrix3d& R_gt);
// Angle between the translation directions in degrees; with sign_ambiguous (the
// essential matrix fixes t only up to sign) min(e, 180 - e). 0 when |t_gt| is 0.
double translation_error_deg(const Eigen::Vector3d& t_est, const Eigen::Vector3d& t_gt,
                             bool sign_ambiguous = true);

}  // namespace sp::geometry
