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

namespace sp::geometry {
namespace {

double pose_error_deg(const RelativePose& p, const Scene& s) {
  return std::max(rotation_error_deg(p.R, s.R), translation_error_deg(p.t, s.t));
}

// Cheirality: the true pose puts every scene point in front of both cameras; the pose with
// t negated has the same E (same Sampson errors) but puts them behind, so LoRansac's score
// counts none of them as inliers.
TEST(LoRansac, ScoresPointsBehindACameraAsOutliers) {
  const Scene s = make_scene(50, 3);
  const Points2 n0 = normalize_points(s.x0, s.K), n1 = normalize_points(s.x1, s.K);
  RelativePose truth, flipped;
  truth.success = flipped.success = true;
  truth.R = flipped.R = s.R;
  truth.t = s.t;
  flipped.t = -s.t;
  for (int i = 0; i < 50; ++i) {
    EXPECT_TRUE(in_front_of_both(s.R, s.t, n0.row(i).transpose(), n1.row(i).transpose()));
    EXPECT_FALSE(in_front_of_both(s.R, -s.t, n0.row(i).transpose(), n1.row(i).transpose()));
  }
  const double th = 1e-3;
  std::vector<uint8_t> inl;
  EXPECT_LT(pose_msac_score(truth, n0, n1, th, &inl), 1e-20);
  EXPECT_EQ(std::count(inl.begin(), inl.end(), 1), 50);
  EXPECT_NEAR(pose_msac_score(flipped, n0, n1, th, &inl), 50 * th * th, 1e-18);
  EXPECT_EQ(std::count(inl.begin(), inl.end(), 1), 0);
  EXPECT_LT((essential_from_pose(s.R, s.t).normalized() - s.E).norm(), 1e-12);
}

// The pose LO-RANSAC: near the truth on noisy scenes with 30 % outliers, no outlier among
// its inliers, deterministic in the seed; with every point an inlier it stops right after
// min_iterations, and draws more samples when fewer points are inliers.
TEST(LoRansac, FindsThePoseAndStopsAdaptively) {
  const Scene s = make_scene(200, 11, /*outliers=*/60, /*noise_px=*/0.5);
  const Points2 n0 = normalize_points(s.x0, s.K), n1 = normalize_points(s.x1, s.K);
  EssentialRansacOptions o;
  o.estimator = PoseEstimator::LoRansac;
  o.threshold = 1.5 / 517.5;
  int iterations = 0;
  const RelativePose pose = lo_ransac_relative_pose(n0, n1, o, &iterations);
  ASSERT_TRUE(pose.success);
  EXPECT_LT(pose_error_deg(pose, s), 1.0);
  EXPECT_EQ(std::count(pose.inliers.begin(), pose.inliers.begin() + 60, 1), 0);
  EXPECT_GT(pose.num_inliers, 130);
  EXPECT_EQ(pose.num_inliers, std::count(pose.inliers.begin(), pose.inliers.end(), 1));
  EXPECT_EQ(lo_ransac_relative_pose(n0, n1, o).inliers, pose.inliers);
  // 70 % inliers: 3 log(1e-5) / log(1 - 0.7^5) = 181 samples, under the floor of 1000.
  EXPECT_EQ(iterations, o.min_iterations + 1);
  o.min_iterations = 10;
  lo_ransac_relative_pose(n0, n1, o, &iterations);
  EXPECT_GT(iterations, 100);
  EXPECT_LT(iterations, 400);
  const Scene clean = make_scene(60, 12);
  const Points2 c0 = normalize_points(clean.x0, clean.K), c1 = normalize_points(clean.x1, clean.K);
  lo_ransac_relative_pose(c0, c1, o, &iterations);
  EXPECT_EQ(iterations, o.min_iterations + 1);
  // The essential-matrix interface returns the same model and inliers.
  o.min_iterations = 1000;
  const RansacResult r = find_essential_5point_ransac(n0, n1, o);
  ASSERT_TRUE(r.success);
  EXPECT_EQ(r.inliers, pose.inliers);
  EXPECT_LT((r.model - essential_from_pose(pose.R, pose.t).normalized()).norm(), 1e-12);
  EXPECT_SP_ERROR(
      lo_ransac_relative_pose(n0, n1.topRows(10), o),
      "lo_ransac_relative_pose: expected as many points in both images, got 200 and 10");
}

// The truncated loss ignores gross outliers left in the mask (their residuals stay above
// the scale, weight 0): a perturbed pose comes back close to the truth.
TEST(RefineRelativePose, TruncatedLossIgnoresOutliersInTheMask) {
  const Scene s = make_scene(150, 21, /*outliers=*/30, /*noise_px=*/0.3);
  const Points2 n0 = normalize_points(s.x0, s.K), n1 = normalize_points(s.x1, s.K);
  RelativePose start;
  start.success = true;
  start.R = s.R * Eigen::AngleAxisd(0.003, Eigen::Vector3d::UnitY()).toRotationMatrix();
  start.t = (s.t + Eigen::Vector3d(0, 0.01, 0)).normalized();
  const std::vector<uint8_t> all(150, 1);
  const double scale = 1.5 / 517.5;
  const RelativePose r = refine_relative_pose(start, n0, n1, all, scale, 25, RobustLoss::Truncated);
  EXPECT_LT(pose_error_deg(r, s), 0.5 * pose_error_deg(start, s));
  EXPECT_LT(pose_error_deg(r, s), 0.1);
}

}  // namespace
}  // namespace sp::geometry
