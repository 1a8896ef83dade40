#include "eval/pose_benchmark.h"

#include <fstream>
#include <random>

#include "helpers/test_helpers.h"
#include "tensor/io/hdf5.h"
#include "tensor/ops/creation.h"

namespace sp::eval {
namespace {

TEST(PoseBenchmark, RecoversSyntheticPoseFromPairList) {
  std::string dir = test::temp_dir("pose_bench");
  Eigen::Matrix3d K;
  K << 500, 0, 320, 0, 500, 240, 0, 0, 1;
  Eigen::Matrix3d R =
      Eigen::AngleAxisd(0.15, Eigen::Vector3d(0.2, 1, 0).normalized()).toRotationMatrix();
  Eigen::Vector3d t(0.8, 0.05, 0.1);
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> u(-2, 2), depth(4, 8);
  const int n = 60;
  std::vector<float> kp0, kp1, desc(size_t(n) * n, 0.f);
  for (int i = 0; i < n; ++i) {
    Eigen::Vector3d X(u(rng), u(rng), depth(rng));
    Eigen::Vector3d p0 = K * X, p1 = K * (R * X + t);
    kp0.insert(kp0.end(), {float(p0.x() / p0.z()), float(p0.y() / p0.z())});
    kp1.insert(kp1.end(), {float(p1.x() / p1.z()), float(p1.y() / p1.z())});
    desc[size_t(i) * n + i] = 1.f;
  }
  {
    io::H5File h5(dir + "/feats.h5", io::H5File::Mode::Truncate);
    h5.write("a.jpg/keypoints", from_vector(kp0, {n, 2}));
    h5.write("b.jpg/keypoints", from_vector(kp1, {n, 2}));
    h5.write("a.jpg/descriptors", from_vector(desc, {n, n}));
    h5.write("b.jpg/descriptors", from_vector(desc, {n, n}));
  }
  std::ofstream pairs(dir + "/pairs.txt");
  pairs << "a.jpg b.jpg 0 0";
  for (int k = 0; k < 2; ++k)
    for (int i = 0; i < 9; ++i) pairs << " " << K(i / 3, i % 3);
  for (int i = 0; i < 12; ++i) pairs << " " << (i % 4 == 3 ? t(i / 4) : R(i / 4, i % 4));
  pairs << " 0 0 0 1\n";
  pairs.close();
  PoseOptions opt;
  opt.pairs = dir + "/pairs.txt";
  opt.predictions = dir + "/feats.h5";
  HPatchesReport r = run_pose_benchmark(opt);
  ASSERT_EQ(r.pairs.size(), 1u);
  EXPECT_LT(r.pairs[0].values.at("pose_error"), 0.5);  // keypoints stored as f32
  EXPECT_EQ(r.pairs[0].values.at("num_matches"), n);
  EXPECT_GT(r.summary.at("pose_auc_5"), 0.9);

  std::ofstream bad(dir + "/bad.txt");
  bad << "a.jpg b.jpg\n";
  bad.close();
  opt.pairs = dir + "/bad.txt";
  EXPECT_SP_ERROR(run_pose_benchmark(opt), "bad.txt:1, got 2");
}

}  // namespace
}  // namespace sp::eval
