#include "geometry/homography.h"

#include <random>

#include "helpers/test_helpers.h"

namespace sp::geometry {
namespace {

Eigen::Matrix3d example_h() {
  Eigen::Matrix3d H;
  H << 0.9, 0.05, 12.0, -0.08, 1.1, -7.0, 1e-4, -2e-4, 1.0;
  return H;
}

Points2 grid_points(int n, uint64_t seed, double w = 640, double h = 480) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> ux(0, w), uy(0, h);
  Points2 p(n, 2);
  for (int i = 0; i < n; ++i) p.row(i) << ux(rng), uy(rng);
  return p;
}

double relative_diff(Eigen::Matrix3d a, Eigen::Matrix3d b) {
  return (a / a(2, 2) - b / b(2, 2)).norm();
}

TEST(HomographyDlt, IdentityAndTranslation) {
  Points2 p = grid_points(10, 1);
  EXPECT_LT(relative_diff(homography_dlt(p, p), Eigen::Matrix3d::Identity()), 1e-9);
  Points2 q = p;
  q.col(0).array() += 5.0;
  q.col(1).array() -= 3.0;
  Eigen::Matrix3d T;
  T << 1, 0, 5, 0, 1, -3, 0, 0, 1;
  EXPECT_LT(relative_diff(homography_dlt(p, q), T), 1e-9);
}

TEST(HomographyDlt, RecoversGeneralHomographyFromFourPoints) {
  Points2 p = grid_points(4, 2);
  Points2 q = transform_points(example_h(), p);
  Eigen::Matrix3d H = homography_dlt(p, q);
  EXPECT_NEAR(H.norm(), 1.0, 1e-12);
  EXPECT_LT(relative_diff(H, example_h()), 1e-7);
  EXPECT_LT((transform_points(H, p) - q).norm(), 1e-6);
}

TEST(HomographyDlt, WeightsIgnoreZeroWeightOutliers) {
  Points2 p = grid_points(20, 3);
  Points2 q = transform_points(example_h(), p);
  q.row(0) << 0, 0;
  Eigen::VectorXd w = Eigen::VectorXd::Ones(20);
  w[0] = 0;
  EXPECT_LT(relative_diff(homography_dlt(p, q, w), example_h()), 1e-7);
  EXPECT_GT(relative_diff(homography_dlt(p, q), example_h()), 1e-3);
}

TEST(HomographyDlt, Errors) {
  Points2 p = grid_points(3, 4);
  EXPECT_SP_ERROR(homography_dlt(p, p), "at least 4 correspondences, got 3");
  EXPECT_SP_ERROR(homography_dlt(grid_points(5, 1), grid_points(6, 1)), "got 5 and 6");
}

TEST(HomographyCorners, KnownErrors) {
  Eigen::Matrix3d T = Eigen::Matrix3d::Identity();
  T(0, 2) = 3;
  T(1, 2) = 4;
  EXPECT_NEAR(mean_corner_error(T, Eigen::Matrix3d::Identity(), 320, 240), 5.0, 1e-12);
  Eigen::Matrix3d S = Eigen::Matrix3d::Identity();
  S(0, 0) = S(1, 1) = 2;
  // Corners (0,0),(W-1,0),(0,H-1),(W-1,H-1) moved by 0, W-1, H-1, |(W-1,H-1)|.
  double expected = (0 + 9 + 19 + std::sqrt(81.0 + 361.0)) / 4;
  EXPECT_NEAR(mean_corner_error(S, Eigen::Matrix3d::Identity(), 10, 20), expected, 1e-12);
  double border = (0 + 10 + 20 + std::sqrt(500.0)) / 4;
  EXPECT_NEAR(mean_corner_error(S, Eigen::Matrix3d::Identity(), 10, 20, Corners::ImageBorder),
              border, 1e-12);
}

TEST(HomographyRansac, RecoversKnownHomographyUnderHalfOutliers) {
  const int n = 200;
  Points2 src = grid_points(n, 5);
  Points2 dst = transform_points(example_h(), src);
  std::mt19937_64 rng(7);
  std::normal_distribution<double> noise(0, 0.3);
  std::uniform_real_distribution<double> anywhere(0, 640);
  std::vector<uint8_t> truth(n, 1);
  for (int i = 0; i < n; ++i) {
    if (i % 2 == 1) {
      dst.row(i) << anywhere(rng), anywhere(rng) * 0.75;
      truth[i] = (transform_points(example_h(), src.row(i)) - dst.row(i)).norm() <= 3.0;
    } else {
      dst(i, 0) += noise(rng);
      dst(i, 1) += noise(rng);
    }
  }
  RansacOptions opt;
  opt.seed = 11;
  RansacResult r = find_homography_ransac(src, dst, opt);
  ASSERT_TRUE(r.success);
  EXPECT_LT(mean_corner_error(r.model, example_h(), 640, 480), 0.5);
  int agree = 0;
  for (int i = 0; i < n; ++i) agree += r.inliers[i] == truth[i];
  EXPECT_GE(agree, n - 3);
  EXPECT_GE(r.num_inliers, 97);
  // Deterministic for a seed.
  RansacResult again = find_homography_ransac(src, dst, opt);
  EXPECT_EQ(again.inliers, r.inliers);
  EXPECT_EQ(again.model, r.model);
}

TEST(HomographyRansac, FailsWithTooFewPointsAndChecksOptions) {
  Points2 p = grid_points(3, 1);
  RansacResult r = find_homography_ransac(p, p);
  EXPECT_FALSE(r.success);
  EXPECT_EQ(r.model, Eigen::Matrix3d::Identity());
  RansacOptions bad;
  bad.threshold = 0;
  EXPECT_SP_ERROR(find_homography_ransac(p, p, bad), "threshold > 0");
}

TEST(HomographyRefine, ReducesTransferError) {
  Points2 src = grid_points(50, 9);
  Points2 dst = transform_points(example_h(), src);
  Eigen::Matrix3d start = example_h();
  start(0, 2) += 2.0;
  start(2, 0) += 5e-5;
  Eigen::Matrix3d H = refine_homography(start, src, dst);
  EXPECT_LT(homography_transfer_errors2(H, src, dst).maxCoeff(), 1e-10);
}

TEST(HomographyRansac, RequiredIterations) {
  EXPECT_EQ(ransac_required_iterations(1.0, 4, 0.99, 1000), 1);
  EXPECT_EQ(ransac_required_iterations(0.0, 4, 0.99, 1000), 1000);
  // log(0.01) / log(1 - 0.5^4) = 71.36 -> 72
  EXPECT_EQ(ransac_required_iterations(0.5, 4, 0.99, 1000), 72);
}

// Exact correspondences with every third one a gross outlier (a random pixel).
void half_scene(int n, Points2& src, Points2& dst, std::vector<uint8_t>& truth, int every) {
  src = grid_points(n, 15);
  dst = transform_points(example_h(), src);
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> anywhere(0, 640);
  truth.assign(size_t(n), 1);
  for (int i = 0; i < n; i += every) {
    dst.row(i) << anywhere(rng), anywhere(rng) * 0.75;
    truth[size_t(i)] = (transform_points(example_h(), src.row(i)) - dst.row(i)).norm() < 1.0;
  }
}

// The MSAC LO-RANSAC (poselib's scheme): exact model and inliers under half outliers,
// deterministic; it stops right after min_iterations when the adaptive bound
// 3 log(1e-4) / log(1 - 0.5^4) = 429 is below it, and after about that many otherwise.
TEST(HomographyRansac, MsacRecoversKnownHomographyAndStopsAdaptively) {
  Points2 src, dst;
  std::vector<uint8_t> truth;
  half_scene(200, src, dst, truth, 2);
  RansacOptions opt = msac_homography_options(1.0);
  EXPECT_TRUE(opt.msac);
  EXPECT_EQ(opt.min_iterations, 1000);
  EXPECT_EQ(opt.max_iterations, 100000);
  const RansacResult r = find_homography_ransac(src, dst, opt);
  ASSERT_TRUE(r.success);
  EXPECT_LT(mean_corner_error(r.model, example_h(), 640, 480), 1e-6);
  EXPECT_EQ(r.inliers, truth);
  EXPECT_EQ(r.iterations, 1001);
  const RansacResult again = find_homography_ransac(src, dst, opt);
  EXPECT_EQ(again.model, r.model);
  opt.min_iterations = 10;
  const RansacResult fast = find_homography_ransac(src, dst, opt);
  EXPECT_GT(fast.iterations, 300);
  EXPECT_LT(fast.iterations, 440);
  EXPECT_LT(mean_corner_error(fast.model, example_h(), 640, 480), 1e-6);
}

// The truncated loss ignores points beyond its scale: from a perturbed start it reaches
// the exact homography despite a third of gross outliers, which pull plain least squares
// (RobustLoss::Squared) away.
TEST(HomographyRefine, TruncatedLossIgnoresOutliers) {
  Points2 src, dst;
  std::vector<uint8_t> truth;
  half_scene(90, src, dst, truth, 3);
  Eigen::Matrix3d start = example_h();
  start(0, 2) += 1.0;
  start(2, 0) += 1e-5;
  const Eigen::Matrix3d Ht = refine_homography(start, src, dst, 25, RobustLoss::Truncated, 3.0);
  const Eigen::Matrix3d Hs = refine_homography(start, src, dst, 25, RobustLoss::Squared);
  EXPECT_LT(mean_corner_error(Ht, example_h(), 640, 480), 1e-6);
  EXPECT_GT(mean_corner_error(Hs, example_h(), 640, 480), 1.0);
  EXPECT_SP_ERROR(refine_homography(start, src, dst, 5, RobustLoss::Cauchy, 0.0),
                  "refine_homography: expected scale > 0, got 0");
}

}  // namespace
}  // namespace sp::geometry
