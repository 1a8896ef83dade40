#include "geometry/epipolar.h"

#include <random>

#include "helpers/test_helpers.h"

namespace sp::geometry {
namespace {

struct Scene {
  Eigen::Matrix3d K, R;
  Eigen::Vector3d t;
  Points2 x0, x1;
};

Scene make_scene(int n, uint64_t seed, double noise_px = 0.0) {
  Scene s;
  s.K << 500, 0, 320, 0, 510, 240, 0, 0, 1;
  s.R = (Eigen::AngleAxisd(0.2, Eigen::Vector3d(0.3, 1, 0.1).normalized())).toRotationMatrix();
  s.t = Eigen::Vector3d(-1.0, 0.1, 0.2);
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(-2, 2), depth(4, 10);
  std::normal_distribution<double> noise(0, noise_px);
  s.x0.resize(n, 2);
  s.x1.resize(n, 2);
  for (int i = 0; i < n; ++i) {
    Eigen::Vector3d X(u(rng), u(rng), depth(rng));
    Eigen::Vector3d p0 = s.K * X, p1 = s.K * (s.R * X + s.t);
    s.x0.row(i) << p0.x() / p0.z(), p0.y() / p0.z();
    s.x1.row(i) << p1.x() / p1.z() + (noise_px > 0 ? noise(rng) : 0),
        p1.y() / p1.z() + (noise_px > 0 ? noise(rng) : 0);
  }
  return s;
}

Eigen::Matrix3d skew(const Eigen::Vector3d& v) {
  Eigen::Matrix3d m;
  m << 0, -v.z(), v.y(), v.z(), 0, -v.x(), -v.y(), v.x(), 0;
  return m;
}

TEST(Epipolar, EightPointSatisfiesConstraints) {
  Scene s = make_scene(30, 1);
  Eigen::Matrix3d F = fundamental_8point(s.x0, s.x1);
  EXPECT_LT(sampson_errors2(F, s.x0, s.x1).maxCoeff(), 1e-12);
  EXPECT_NEAR(F.determinant(), 0.0, 1e-12);
  Points2 n0 = normalize_points(s.x0, s.K), n1 = normalize_points(s.x1, s.K);
  Eigen::Matrix3d E = essential_8point(n0, n1);
  Eigen::Matrix3d E_gt = skew(s.t) * s.R;
  E_gt /= E_gt.norm();
  EXPECT_LT(std::min((E - E_gt).norm(), (E + E_gt).norm()), 1e-8);
  EXPECT_SP_ERROR(fundamental_8point(s.x0.topRows(7), s.x1.topRows(7)),
                  "at least 8 correspondences, got 7");
}

TEST(Epipolar, RecoverPoseOnSyntheticPoints) {
  Scene s = make_scene(40, 2);
  Points2 n0 = normalize_points(s.x0, s.K), n1 = normalize_points(s.x1, s.K);
  RelativePose pose = recover_pose(essential_8point(n0, n1), n0, n1);
  ASSERT_TRUE(pose.success);
  EXPECT_EQ(pose.num_inliers, 40);
  EXPECT_LT(rotation_error_deg(pose.R, s.R), 1e-6);
  // Cheirality picks the sign: t is recovered exactly, not up to sign.
  EXPECT_LT(translation_error_deg(pose.t, s.t, false), 1e-6);
}

TEST(Epipolar, RansacPoseUnderOutliers) {
  Scene s = make_scene(200, 3, 0.5);
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> u(0, 640);
  for (int i = 0; i < 200; i += 3) s.x1.row(i) << u(rng), u(rng) * 0.75;
  RelativePose pose = estimate_relative_pose(s.x0, s.x1, s.K, s.K, 1.0, 0.99999, 4);
  ASSERT_TRUE(pose.success);
  EXPECT_LT(rotation_error_deg(pose.R, s.R), 1.0);
  EXPECT_LT(translation_error_deg(pose.t, s.t), 3.0);
  EXPECT_GE(pose.num_inliers, 110);
  EXPECT_FALSE(estimate_relative_pose(s.x0.topRows(4), s.x1.topRows(4), s.K, s.K, 1.0).success);
}

TEST(Epipolar, FundamentalRansac) {
  Scene s = make_scene(100, 6, 0.2);
  for (int i = 0; i < 100; i += 4) s.x1.row(i) << 10 + i, 400 - 2 * i;
  RansacOptions opt;
  opt.threshold = 1.0;
  RansacResult r = find_fundamental_ransac(s.x0, s.x1, opt);
  ASSERT_TRUE(r.success);
  EXPECT_GE(r.num_inliers, 73);
  for (int i = 0; i < 100; i += 4) EXPECT_EQ(r.inliers[i], 0) << i;
}

TEST(PoseErrors, KnownAngles) {
  Eigen::Matrix3d R =
      Eigen::AngleAxisd(30.0 * M_PI / 180, Eigen::Vector3d::UnitZ()).toRotationMatrix();
  EXPECT_NEAR(rotation_error_deg(R, Eigen::Matrix3d::Identity()), 30.0, 1e-9);
  EXPECT_NEAR(rotation_error_deg(R, R), 0.0, 1e-6);
  Eigen::Vector3d a(1, 0, 0), b(1, 1, 0);
  EXPECT_NEAR(translation_error_deg(a, b), 45.0, 1e-9);
  EXPECT_NEAR(translation_error_deg(-a, b, false), 135.0, 1e-9);
  EXPECT_NEAR(translation_error_deg(-a, b, true), 45.0, 1e-9);
  EXPECT_EQ(translation_error_deg(a, Eigen::Vector3d::Zero()), 0.0);
}

}  // namespace
}  // namespace sp::geometry
