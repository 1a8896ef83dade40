#include "colmap/two_view_geometry.h"

#include "geometry/epipolar.h"
#include "tensor/check.h"

namespace sp::colmap {

Eigen::Matrix3d calibration_matrix(const Camera& c) {
  Eigen::Matrix3d K = Eigen::Matrix3d::Identity();
  const std::vector<double>& p = c.params;
  const bool two_focals = c.model == CameraModel::Pinhole || c.model == CameraModel::OpenCV;
  SP_CHECK(p.size() >= (two_focals ? 4u : 3u), "colmap: expected the parameters of a ",
           camera_model_name(c.model), " camera, got ", p.size());
  K(0, 0) = p[0];
  K(1, 1) = two_focals ? p[1] : p[0];
  K(0, 2) = two_focals ? p[2] : p[1];
  K(1, 2) = two_focals ? p[3] : p[2];
  return K;
}

TwoViewGeometry verify_matches(const geometry::Points2& kp1, const geometry::Points2& kp2,
                               const std::vector<std::array<uint32_t, 2>>& matches,
                               const Camera& camera1, const Camera& camera2,
                               const VerifyOptions& o) {
  TwoViewGeometry g;
  g.config = TwoViewConfig::Degenerate;
  const int64_t n = int64_t(matches.size());
  if (n < std::max(o.min_num_inliers, 8)) return g;
  geometry::Points2 x1(n, 2), x2(n, 2);
  for (int64_t k = 0; k < n; ++k) {
    const auto [i, j] = matches[size_t(k)];
    SP_CHECK(i < kp1.rows() && j < kp2.rows(), "colmap: expected match indices below ", kp1.rows(),
             " and ", kp2.rows(), ", got (", i, ", ", j, ")");
    x1.row(k) = kp1.row(i);
    x2.row(k) = kp2.row(j);
  }
  geometry::RansacOptions ro;
  ro.threshold = o.max_error;
  ro.confidence = o.confidence;
  ro.max_iterations = o.max_iterations;
  ro.seed = o.seed;
  const geometry::RansacResult f = geometry::find_fundamental_ransac(x1, x2, ro);
  if (!f.success || f.num_inliers < o.min_num_inliers ||
      double(f.num_inliers) < o.min_inlier_ratio * double(n))
    return g;
  const std::vector<uint8_t>* inliers = &f.inliers;
  g.config = TwoViewConfig::Uncalibrated;
  g.F = f.model;
  geometry::RansacResult e;
  if (camera1.prior_focal_length && camera2.prior_focal_length) {
    const Eigen::Matrix3d K1 = calibration_matrix(camera1), K2 = calibration_matrix(camera2);
    const geometry::Points2 n1 = geometry::normalize_points(x1, K1);
    const geometry::Points2 n2 = geometry::normalize_points(x2, K2);
    geometry::RansacOptions eo = ro;
    eo.threshold = o.max_error * 4.0 / (K1(0, 0) + K1(1, 1) + K2(0, 0) + K2(1, 1));
    e = geometry::find_essential_ransac(n1, n2, eo);
    if (e.success && e.num_inliers >= o.min_num_inliers &&
        double(e.num_inliers) >= o.min_e_f_inlier_ratio * double(f.num_inliers)) {
      const geometry::RelativePose pose = geometry::recover_pose(e.model, n1, n2, e.inliers);
      g.config = TwoViewConfig::Calibrated;
      g.E = e.model;
      g.F = K2.inverse().transpose() * e.model * K1.inverse();
      if (pose.success) {
        const Eigen::Quaterniond q(pose.R);
        g.qvec = Eigen::Vector4d(q.w(), q.x(), q.y(), q.z());
        g.tvec = pose.t;
      }
      inliers = &e.inliers;
    }
  }
  for (int64_t k = 0; k < n; ++k)
    if ((*inliers)[size_t(k)]) g.inliers.push_back(matches[size_t(k)]);
  return g;
}

}  // namespace sp::colmap
