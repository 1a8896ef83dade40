#include "colmap/two_view_geometry.h"

#include <gtest/gtest.h>

#include <random>

#include "geometry/epipolar.h"
#include "helpers/test_helpers.h"

namespace sp::colmap {
namespace {

struct Scene {
  geometry::Points2 kp1, kp2;
  std::vector<std::array<uint32_t, 2>> matches;
  std::vector<bool> outlier;
  Eigen::Matrix3d R;
  Eigen::Vector3d t;
};

// Points in front of two cameras (focal 500, 640 x 480), matched in shuffled order, a
// fraction of the matches replaced by random pairs.
Scene make_scene(int n, double outliers, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(-1, 1);
  Scene s;
  s.R = Eigen::AngleAxisd(0.2, Eigen::Vector3d(0.1, 1, 0.05).normalized()).toRotationMatrix();
  s.t = Eigen::Vector3d(-1, 0.1, 0.05);
  Eigen::Matrix3d K;
  K << 500, 0, 320, 0, 500, 240, 0, 0, 1;
  s.kp1.resize(n, 2);
  s.kp2.resize(n, 2);
  for (int i = 0; i < n; ++i) {
    const Eigen::Vector3d X(2 * u(rng), 1.5 * u(rng), 6 + 2 * u(rng));
    const Eigen::Vector3d a = K * X, b = K * (s.R * X + s.t);
    s.kp1.row(i) << a.x() / a.z(), a.y() / a.z();
    s.kp2.row(i) << b.x() / b.z(), b.y() / b.z();
  }
  for (int i = 0; i < n; ++i) {
    const bool bad = u(rng) < 2 * outliers - 1;
    const uint32_t j = bad ? uint32_t((i + 1 + int(rng() % uint64_t(n - 1))) % n) : uint32_t(i);
    s.matches.push_back({uint32_t(i), j});
    s.outlier.push_back(j != uint32_t(i));
  }
  return s;
}

Camera camera(bool prior) {
  Camera c;
  c.model = CameraModel::SimpleRadial;
  c.width = 640, c.height = 480;
  c.params = default_camera_params(c.model, 500, 640, 480);
  c.prior_focal_length = prior;
  return c;
}

TEST(ColmapVerify, FundamentalWithoutPriorsEssentialWithThem) {
  const Scene s = make_scene(300, 0.3, 4);
  int outliers = 0;
  for (bool o : s.outlier) outliers += o;
  const TwoViewGeometry f = verify_matches(s.kp1, s.kp2, s.matches, camera(false), camera(false));
  EXPECT_EQ(f.config, TwoViewConfig::Uncalibrated);
  EXPECT_NEAR(double(f.inliers.size()), double(300 - outliers), 5.0);
  // Inliers are within the threshold in Sampson distance (a one-sided point-to-line
  // distance may exceed it by up to sqrt(2)).
  geometry::Points2 a(int64_t(f.inliers.size()), 2), b(int64_t(f.inliers.size()), 2);
  for (size_t k = 0; k < f.inliers.size(); ++k) {
    a.row(int64_t(k)) = s.kp1.row(f.inliers[k][0]);
    b.row(int64_t(k)) = s.kp2.row(f.inliers[k][1]);
  }
  const Eigen::VectorXd d2 = geometry::sampson_errors2(f.F, a, b);
  ASSERT_GT(d2.size(), 0);
  EXPECT_LE(std::sqrt(d2.maxCoeff()), 4.0 * (1 + 1e-9));
  const TwoViewGeometry e = verify_matches(s.kp1, s.kp2, s.matches, camera(true), camera(true));
  EXPECT_EQ(e.config, TwoViewConfig::Calibrated);
  const Eigen::Quaterniond q(e.qvec(0), e.qvec(1), e.qvec(2), e.qvec(3));
  EXPECT_LT(geometry::rotation_error_deg(q.toRotationMatrix(), s.R), 1.0);
  // The 4 px threshold also admits the random matches that fall near their epipolar
  // line, which pull the direction of the (short-baseline) translation a little.
  EXPECT_LT(geometry::translation_error_deg(e.tvec, s.t, false), 3.0);
}

TEST(ColmapVerify, TooFewOrRandomMatchesAreDegenerate) {
  Scene s = make_scene(10, 0.0, 5);
  EXPECT_EQ(verify_matches(s.kp1, s.kp2, s.matches, camera(false), camera(false)).config,
            TwoViewConfig::Degenerate);
  s = make_scene(200, 1.0, 6);  // every match random
  const TwoViewGeometry g = verify_matches(s.kp1, s.kp2, s.matches, camera(false), camera(false));
  EXPECT_EQ(g.config, TwoViewConfig::Degenerate);
  EXPECT_TRUE(g.inliers.empty());
  s.matches[0] = {500, 0};
  EXPECT_SP_ERROR(verify_matches(s.kp1, s.kp2, s.matches, camera(false), camera(false)),
                  "expected match indices below 200");
}

}  // namespace
}  // namespace sp::colmap
