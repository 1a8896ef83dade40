#include "geometry/essential.h"

#include <random>

#include "helpers/test_helpers.h"

namespace sp::geometry {
namespace {

struct Scene {
  Eigen::Matrix3d K, R, E;
  Eigen::Vector3d t;
  Points2 x0, x1;
};

// n points of a random scene seen by two cameras; `outliers` of them replaced by random
// pixels in image 1, noise in pixels on image 1.
Scene make_scene(int n, uint64_t seed, int outliers = 0, double noise_px = 0.0) {
  Scene s;
  s.K << 520, 0, 320, 0, 515, 240, 0, 0, 1;
  s.R = Eigen::AngleAxisd(0.25, Eigen::Vector3d(0.2, 1, -0.1).normalized()).toRotationMatrix();
  s.t = Eigen::Vector3d(-1.0, 0.2, 0.3).normalized();
  Eigen::Matrix3d tx;
  tx << 0, -s.t(2), s.t(1), s.t(2), 0, -s.t(0), -s.t(1), s.t(0), 0;
  s.E = tx * s.R;
  s.E /= s.E.norm();
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(-2, 2), depth(4, 10), px(0, 640);
  std::normal_distribution<double> noise(0, noise_px > 0 ? noise_px : 1);
  s.x0.resize(n, 2);
  s.x1.resize(n, 2);
  for (int i = 0; i < n; ++i) {
    const Eigen::Vector3d X(u(rng), u(rng), depth(rng));
    const Eigen::Vector3d p0 = s.K * X, p1 = s.K * (s.R * X + s.t);
    s.x0.row(i) << p0.x() / p0.z(), p0.y() / p0.z();
    s.x1.row(i) << p1.x() / p1.z(), p1.y() / p1.z();
    if (noise_px > 0) s.x1.row(i) += Eigen::RowVector2d(noise(rng), noise(rng));
    if (i < outliers) s.x1.row(i) << px(rng), px(rng) * 0.75;
  }
  return s;
}

TEST(Essential5Point, OneSolutionIsTheTrueEssentialMatrix) {
  for (uint64_t seed = 0; seed < 20; ++seed) {
    const Scene s = make_scene(5, seed);
    const Points2 n0 = normalize_points(s.x0, s.K), n1 = normalize_points(s.x1, s.K);
    const std::vector<Eigen::Matrix3d> sols = essential_5point(n0, n1);
    ASSERT_FALSE(sols.empty()) << "seed " << seed;
    EXPECT_LE(sols.size(), 10u);
    double best = 1e9;
    for (const Eigen::Matrix3d& E : sols) {
      best = std::min({best, (E - s.E).norm(), (E + s.E).norm()});
      // Every solution satisfies the five epipolar constraints and is essential.
      for (int i = 0; i < 5; ++i)
        EXPECT_NEAR(
            Eigen::Vector3d(n1(i, 0), n1(i, 1), 1).dot(E * Eigen::Vector3d(n0(i, 0), n0(i, 1), 1)),
            0, 1e-9);
      Eigen::JacobiSVD<Eigen::Matrix3d> svd(E);
      EXPECT_NEAR(svd.singularValues()(0), svd.singularValues()(1), 1e-8);
      EXPECT_NEAR(svd.singularValues()(2), 0, 1e-8);
    }
    EXPECT_LT(best, 1e-7) << "seed " << seed;
  }
}

TEST(Essential5Point, RejectsOtherCounts) {
  const Scene s = make_scene(6, 1);
  EXPECT_SP_ERROR(essential_5point(s.x0, s.x1), "expected 5 correspondences");
}

class PoseEstimators : public ::testing::TestWithParam<PoseEstimator> {};

TEST_P(PoseEstimators, RecoverPoseWithOutliersAndNoise) {
  const Scene s = make_scene(200, 7, /*outliers=*/60, /*noise_px=*/0.5);
  RelativePoseOptions o;
  o.estimator = GetParam();
  o.threshold_px = 1.5;
  const RelativePose pose = estimate_relative_pose(s.x0, s.x1, s.K, s.K, o);
  ASSERT_TRUE(pose.success);
  // The OpenCV-like estimator keeps the best minimal sample (no refinement): coarser.
  const bool lo = GetParam() == PoseEstimator::LoRansac;
  EXPECT_LT(rotation_error_deg(pose.R, s.R), lo ? 0.5 : 2.5);
  EXPECT_LT(translation_error_deg(pose.t, s.t), lo ? 2.0 : 6.0);
  int outliers_in = 0;
  for (int i = 0; i < 60; ++i) outliers_in += pose.inliers[i];
  EXPECT_LT(outliers_in, 4);
  EXPECT_GT(pose.num_inliers, 120);
  // Deterministic in the seed.
  const RelativePose again = estimate_relative_pose(s.x0, s.x1, s.K, s.K, o);
  EXPECT_EQ(again.inliers, pose.inliers);
}

TEST_P(PoseEstimators, FailsWithFewerThanFiveMatches) {
  const Scene s = make_scene(4, 2);
  RelativePoseOptions o;
  o.estimator = GetParam();
  EXPECT_FALSE(estimate_relative_pose(s.x0, s.x1, s.K, s.K, o).success);
}

INSTANTIATE_TEST_SUITE_P(Essential, PoseEstimators,
                         ::testing::Values(PoseEstimator::OpenCvRansac, PoseEstimator::LoRansac),
                         [](const auto& info) {
                           return std::string(
                               info.param == PoseEstimator::OpenCvRansac ? "OpenCv" : "LoRansac");
                         });

TEST(PoseEstimator, ParsesNames) {
  EXPECT_EQ(parse_pose_estimator("opencv"), PoseEstimator::OpenCvRansac);
  EXPECT_EQ(parse_pose_estimator("lo-ransac"), PoseEstimator::LoRansac);
  EXPECT_SP_ERROR(parse_pose_estimator("magsac"), "expected opencv or lo-ransac, got 'magsac'");
}

}  // namespace
}  // namespace sp::geometry

namespace sp::geometry {
namespace {

// Refinement: over noisy scenes with outliers, the refined pose is closer to the truth
// than the unrefined RANSAC pose on average; an exact pose stays put; bad masks fail.
TEST(RefineRelativePose, LowersThePoseErrorOfNoisyRansacPoses) {
  double before = 0, after = 0;
  for (uint64_t seed = 0; seed < 8; ++seed) {
    const Scene s = make_scene(150, 100 + seed, 30, 1.0);
    const Points2 n0 = normalize_points(s.x0, s.K), n1 = normalize_points(s.x1, s.K);
    EssentialRansacOptions o;
    o.threshold = 1.5 / 517.5;
    o.seed = seed;
    const RansacResult ransac = find_essential_5point_ransac(n0, n1, o);
    ASSERT_TRUE(ransac.success);
    const RelativePose pose = recover_pose(ransac.model, n0, n1, ransac.inliers);
    const RelativePose refined = refine_relative_pose(pose, n0, n1, ransac.inliers, o.threshold);
    auto error = [&](const RelativePose& p) {
      return std::max(rotation_error_deg(p.R, s.R), translation_error_deg(p.t, s.t));
    };
    before += error(pose);
    after += error(refined);
    EXPECT_NEAR(refined.t.norm(), 1.0, 1e-12);
    EXPECT_EQ(refined.num_inliers, pose.num_inliers);
  }
  EXPECT_LT(after, 0.8 * before) << "mean pose error " << before / 8 << " -> " << after / 8;

  const Scene exact = make_scene(40, 7);
  const Points2 n0 = normalize_points(exact.x0, exact.K), n1 = normalize_points(exact.x1, exact.K);
  RelativePose truth;
  truth.success = true;
  truth.R = exact.R;
  truth.t = exact.t;
  const std::vector<uint8_t> all(40, 1);
  const RelativePose same = refine_relative_pose(truth, n0, n1, all, 1e-3);
  EXPECT_LT(rotation_error_deg(same.R, exact.R), 1e-6);
  EXPECT_LT(translation_error_deg(same.t, exact.t, false), 1e-6);
  EXPECT_SP_ERROR(refine_relative_pose(truth, n0, n1, std::vector<uint8_t>(3, 1), 1e-3),
                  "40 points in both images and mask, got 40 and 3");
}

}  // namespace
}  // namespace sp::geometry
