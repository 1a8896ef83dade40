// Pose pair sets (SuperGlue lists, the posed-images layout of MegaDepth-1500) and the
// grading of matches over them: threshold sweep, skipped pairs, failures, the
// external-check file.
#include "eval/pose_pairs.h"

#include <filesystem>
#include <fstream>
#include <random>

#include "eval/pose_benchmark.h"
#include "helpers/test_helpers.h"
#include "tensor/io/hdf5.h"

namespace fs = std::filesystem;

namespace sp::eval {
namespace {

std::string moto_scene() {
  return std::string(SP_FIXTURE_DIR) + "/two_view_scenes/megadepth/Undistorted_SfM/moto";
}

TEST(PosePairs, PosedImagesGiveRelativePosesAndPixelCentreIntrinsics) {
  const std::string dir = test::temp_dir("posed_images");
  fs::copy(moto_scene(), dir, fs::copy_options::recursive);
  {
    std::ofstream pairs(dir + "/pairs.txt", std::ios::app);
    pairs << "left.jpg nowhere.jpg\n";
  }
  const PosePairs p = read_pose_benchmark(dir);
  EXPECT_EQ(p.image_dir, dir + "/images");
  ASSERT_EQ(p.pairs.size(), 3u);
  EXPECT_EQ(p.skipped, 1);  // the pair naming a view views.txt lacks
  const PosePair& first = p.pairs[0];
  EXPECT_EQ(first.name0, "left.jpg");
  EXPECT_EQ(first.name1, "right.jpg");
  EXPECT_NEAR(first.K0(0, 2), 155.8465 - 0.5, 1e-9);  // COLMAP corner -> pixel centres
  EXPECT_NEAR(first.K1(0, 2), 171.3895 - 0.5, 1e-9);
  EXPECT_NEAR(first.K0(0, 0), 497.489, 1e-9);
  EXPECT_TRUE(first.R.isApprox(Eigen::Matrix3d::Identity()));
  EXPECT_NEAR(first.t.x(), -0.193001, 1e-12);  // T_w2c1 inv(T_w2c0), both at the origin
  EXPECT_NE(first.where.find("pairs.txt:1"), std::string::npos);
  EXPECT_EQ(read_pose_benchmark(dir, "/elsewhere").image_dir, "/elsewhere");
}

TEST(PosePairs, BadPairListsNameFileAndLine) {
  const std::string dir = test::temp_dir("pose_lists");
  std::string row = "a.jpg b.jpg 0 0";
  for (int i = 0; i < 34; ++i) row += " 1";
  std::ofstream(dir + "/ok.txt") << row << "\n\n" << row << "\n";
  EXPECT_EQ(read_pose_pairs(dir + "/ok.txt").size(), 2u);
  std::string bad = row;
  bad.replace(bad.size() - 1, 1, "x");
  std::ofstream(dir + "/nan.txt") << row << "\n" << bad << "\n";
  EXPECT_SP_ERROR(read_pose_pairs(dir + "/nan.txt"), "nan.txt:2, got 'x'");
  std::string rotated = row;
  rotated.replace(row.find(" 0 0"), 4, " 1 0");
  std::ofstream(dir + "/rot.txt") << rotated << "\n";
  EXPECT_SP_ERROR(read_pose_pairs(dir + "/rot.txt"), "EXIF rotations 0 in");
  EXPECT_SP_ERROR(read_pose_pairs(dir + "/absent.txt"), "absent.txt");
}

// A pair whose matches are exact projections of random points (noise sigma px).
std::pair<PosePair, PairMatches> synthetic(int n, double sigma, uint64_t seed) {
  PosePair p;
  p.name0 = "a" + std::to_string(seed);
  p.name1 = "b" + std::to_string(seed);
  p.K0 << 500, 0, 320, 0, 500, 240, 0, 0, 1;
  p.K1 = p.K0;
  p.R = Eigen::AngleAxisd(0.2, Eigen::Vector3d(0.1, 1, 0.2).normalized()).toRotationMatrix();
  p.t = Eigen::Vector3d(0.7, 0.1, 0.2);
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(-2, 2), depth(4, 8);
  std::normal_distribution<double> noise(0, sigma);
  PairMatches m;
  m.kpts0.resize(n, 2);
  m.kpts1.resize(n, 2);
  for (int i = 0; i < n; ++i) {
    const Eigen::Vector3d X(u(rng), u(rng), depth(rng));
    const Eigen::Vector3d x0 = p.K0 * X, x1 = p.K1 * (p.R * X + p.t);
    m.kpts0.row(i) << x0.x() / x0.z() + noise(rng), x0.y() / x0.z() + noise(rng);
    m.kpts1.row(i) << x1.x() / x1.z() + noise(rng), x1.y() / x1.z() + noise(rng);
  }
  return {p, m};
}

TEST(PoseEvaluation, SweepReportsEveryThresholdAndCountsSkippedAndFailedPairs) {
  std::vector<PosePair> pairs;
  std::vector<std::optional<PairMatches>> matches;
  for (uint64_t s = 0; s < 3; ++s) {
    auto [p, m] = synthetic(80, 0.3, s);
    pairs.push_back(p);
    matches.emplace_back(m);
  }
  auto [few, few_m] = synthetic(4, 0.0, 9);  // < 5 matches: failure, +inf error
  pairs.push_back(few);
  matches.emplace_back(few_m);
  pairs.push_back(few);
  matches.emplace_back();  // skipped (e.g. an image without features)

  PoseEvalOptions o;
  o.ransac_thresholds = threshold_sweep();
  const HPatchesReport r = evaluate_poses(pairs, matches, o);
  EXPECT_EQ(r.summary.at("num_pairs"), 4);
  EXPECT_EQ(r.summary.at("num_skipped"), 1);
  ASSERT_EQ(r.pairs.size(), 4u);
  EXPECT_TRUE(std::isinf(r.pairs[3].values.at("pose_error")));
  for (int i = 0; i < 3; ++i) EXPECT_LT(r.pairs[size_t(i)].values.at("pose_error"), 3.0) << i;
  // Three of four pairs are near-perfect, the fourth failed: AUC at most 3/4.
  EXPECT_LE(r.summary.at("pose_auc_20"), 0.75 + 1e-12);
  EXPECT_GT(r.summary.at("pose_auc_20"), 0.6);
  double best = 0;
  for (double t : threshold_sweep()) {
    std::ostringstream k;
    k << "th" << t << "/pose_mAA";
    ASSERT_TRUE(r.summary.count(k.str())) << k.str();
    best = std::max(best, r.summary.at(k.str()));
  }
  EXPECT_DOUBLE_EQ(r.summary.at("pose_mAA"), best);
  EXPECT_NEAR(
      r.summary.at("pose_mAA"),
      (r.summary.at("pose_auc_5") + r.summary.at("pose_auc_10") + r.summary.at("pose_auc_20")) / 3,
      1e-12);

  PoseEvalOptions lo;
  lo.estimator = geometry::PoseEstimator::LoRansac;
  const HPatchesReport rl = evaluate_poses(pairs, matches, lo);
  EXPECT_EQ(rl.summary.at("ransac_threshold"), 1.0);
  EXPECT_EQ(rl.summary.count("th1/pose_mAA"), 0u);  // one threshold: no per-threshold keys
  for (int i = 0; i < 3; ++i) EXPECT_LT(rl.pairs[size_t(i)].values.at("pose_error"), 3.0) << i;

  matches.pop_back();
  EXPECT_SP_ERROR(evaluate_poses(pairs, matches, o), "one match set per pair (5), got 4");
}

TEST(PoseEvaluation, SavedMatchesCarryPointsAndGroundTruth) {
  auto [p, m] = synthetic(10, 0.0, 4);
  const std::string path = test::temp_dir("saved_matches") + "/m.h5";
  save_pair_matches(path, {p, p}, {std::nullopt, m});
  io::H5File f(path, io::H5File::Mode::Read);
  EXPECT_FALSE(f.has("0/kpts0"));  // skipped pairs are not written
  EXPECT_EQ(f.read("1/kpts0").shape(), (Shape{10, 2}));
  const std::vector<double> k1 = f.read("1/kpts1").to_vector<double>();
  EXPECT_DOUBLE_EQ(k1[3], m.kpts1(1, 1));
  const std::vector<double> T = f.read("1/T_0to1").to_vector<double>();
  EXPECT_DOUBLE_EQ(T[3], p.t.x());
  EXPECT_DOUBLE_EQ(T[15], 1.0);
  EXPECT_EQ(f.attr_string("1", "name0"), p.name0);
}

}  // namespace
}  // namespace sp::eval
