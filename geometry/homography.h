// Homographies in double precision (Eigen): normalized DLT, point transfer, corner
// error, and a deterministic LO-RANSAC. Points are [N, 2] rows of (x, y) pixels.
#pragma once

#include <cstdint>
#include <vector>

#include "geometry/eigen.h"

namespace sp::geometry {

using Points2 = Eigen::Matrix<double, Eigen::Dynamic, 2, Eigen::RowMajor>;

// H maps src (x, y, 1) to dst; the result is scaled so that ||H||_F = 1 and H(2,2) >= 0.
// Hartley normalization (centroid to origin, mean distance sqrt(2)) on both sets.
// Optional weights (one per point, >= 0) give the weighted DLT. Needs >= 4 points.
Eigen::Matrix3d homography_dlt(const Points2& src, const Points2& dst,
                               const Eigen::VectorXd& weights = Eigen::VectorXd());

// Applies H to each row (x, y) with the perspective division.
Points2 transform_points(const Eigen::Matrix3d& H, const Points2& points);

// Which four corners represent a W x H image.
enum class Corners {
  PixelCentres,  // (0,0), (W-1,0), (0,H-1), (W-1,H-1): [PS]/[TF] HPatches evaluation
  ImageBorder,   // (0,0), (W,0), (W,H), (0,H): Glue Factory
};
Points2 image_corners(double width, double height, Corners corners);
// Mean Euclidean distance between the corners warped by H_est and by H_gt.
double mean_corner_error(const Eigen::Matrix3d& H_est, const Eigen::Matrix3d& H_gt, double width,
                         double height, Corners corners = Corners::PixelCentres);

struct RansacOptions {
  double threshold = 3.0;     // px (or the caller's units): max error of an inlier
  double confidence = 0.995;  // stop when an all-inlier sample was drawn with this probability
  int max_iterations = 3000;
  uint64_t seed = 0;       // same seed + same input = same result
  int lo_iterations = 10;  // local optimisation: re-fit on the inliers, at most this often
  // find_homography_ransac only: the MSAC LO-RANSAC (see there) instead of inlier counting.
  bool msac = false;
  int min_iterations = 1000;  // msac: samples drawn at least
  double final_scale = 1.0;   // msac: Cauchy scale of the final refinement (points' units)
};

// The msac settings of poselib's estimate_homography (Glue Factory's default estimator):
// msac, confidence 0.9999, 1000 to 100000 samples, 25 steps per local optimisation.
RansacOptions msac_homography_options(double threshold);

// Robust losses of the Levenberg-Marquardt refinements (r: a residual, s: the scale).
enum class RobustLoss {
  Squared,    // r^2
  Cauchy,     // s^2 log(1 + r^2 / s^2)
  Truncated,  // min(r^2, s^2): points beyond s are ignored
};

struct RansacResult {
  bool success = false;
  Eigen::Matrix3d model = Eigen::Matrix3d::Identity();
  std::vector<uint8_t> inliers;  // one flag per correspondence
  int num_inliers = 0;
  int iterations = 0;
};

// LO-RANSAC on the forward transfer error ||H src - dst||, minimal 4-point samples.
// Default: models ranked by inlier count, local optimisation (DLT on the inliers,
// iterated) whenever the best model improves, then a least-squares refinement
// (Levenberg-Marquardt on the transfer error) on all inliers.
// msac (as poselib): models ranked by their MSAC cost sum min(e^2, threshold^2); a sample
// whose model beats the best minimal model so far (more inliers or lower cost) is
// locally optimised by Levenberg-Marquardt with the truncated loss over all points
// (lo_iterations steps) and kept if that lowers the cost; at least min_iterations
// samples, then until 3 log(1 - confidence) / log(1 - w^4) (w: inlier ratio of the best);
// the best is optimised once more, then refined on its inliers with a Cauchy loss of
// scale final_scale (100 steps); inliers are those of the RANSAC model.
// Fails (success = false, identity) with fewer than 4 correspondences.
RansacResult find_homography_ransac(const Points2& src, const Points2& dst,
                                    const RansacOptions& options = {});

// Squared forward transfer errors of every correspondence.
Eigen::VectorXd homography_transfer_errors2(const Eigen::Matrix3d& H, const Points2& src,
                                            const Points2& dst);

// Minimises the loss of the forward transfer errors over all given correspondences (8
// parameters, H(2,2) fixed), starting from H. Returns H scaled like homography_dlt.
Eigen::Matrix3d refine_homography(const Eigen::Matrix3d& H, const Points2& src, const Points2& dst,
                                  int max_iterations = 20, RobustLoss loss = RobustLoss::Squared,
                                  double scale = 1.0);

// Sample-count bound for the given inlier ratio, sample size and confidence.
int ransac_required_iterations(double inlier_ratio, int sample_size, double confidence,
                               int max_iterations);

}  // namespace sp::geometry
