#include "eval/metrics.h"

#include <cmath>
#include <limits>

#include "helpers/test_helpers.h"

namespace sp::eval {
namespace {

Points2 points(const Tensor& t) {
  std::vector<double> v = t.to(DType::F64).to_vector<double>();
  return Eigen::Map<Points2>(v.data(), t.size(0), 2);
}
Eigen::VectorXd vec(const Tensor& t) {
  std::vector<double> v = t.to(DType::F64).to_vector<double>();
  return Eigen::Map<Eigen::VectorXd>(v.data(), v.size());
}
Descriptors descs(const Tensor& t) {
  std::vector<float> v = t.to(DType::F32).to_vector<float>();
  return Eigen::Map<Descriptors>(v.data(), t.size(0), t.size(1));
}
Eigen::Matrix3d mat3(const Tensor& t) {
  std::vector<double> v = t.to(DType::F64).to_vector<double>();
  return Eigen::Map<Eigen::Matrix<double, 3, 3, Eigen::RowMajor>>(v.data());
}

TEST(EvalMetrics, RepeatabilityHandMadeCases) {
  Points2 kp(3, 2);
  kp << 10, 10, 50, 20, 100, 80;
  Eigen::VectorXd s(3);
  s << 0.9, 0.5, 0.1;
  ImageSize size{320, 240};
  RepeatabilityResult r = repeatability(kp, s, kp, s, Eigen::Matrix3d::Identity(), size, size);
  EXPECT_DOUBLE_EQ(r.repeatability, 1.0);
  EXPECT_DOUBLE_EQ(r.localization_error, 0.0);
  // Pure translation by (2, 0): all within 3 px, mean error 2. With threshold 1 none.
  Eigen::Matrix3d T = Eigen::Matrix3d::Identity();
  T(0, 2) = 2;
  Points2 kp2 = kp;
  kp2.col(0).array() += 4;  // true positions are +2: every point off by 2 px
  r = repeatability(kp, s, kp2, s, T, size, size);
  EXPECT_DOUBLE_EQ(r.repeatability, 1.0);
  EXPECT_NEAR(r.localization_error, 2.0, 1e-12);
  r = repeatability(kp, s, kp2, s, T, size, size, 1.0);
  EXPECT_DOUBLE_EQ(r.repeatability, 0.0);
  EXPECT_TRUE(std::isnan(r.localization_error));
  // Points outside the shared region are ignored: a shift of 300 px leaves one point
  // (x = 10 -> 310) in image 2 and none of image 2 maps back inside.
  T(0, 2) = 300;
  r = repeatability(kp, s, kp, s, T, size, size);
  EXPECT_EQ(r.n1, 1);
  EXPECT_EQ(r.n2, 0);
  EXPECT_DOUBLE_EQ(r.repeatability, 0.0);
  // Top-k keeps the highest scores.
  r = repeatability(kp, s, kp, s, Eigen::Matrix3d::Identity(), size, size, 3.0, 2);
  EXPECT_EQ(r.n1, 2);
  EXPECT_SP_ERROR(repeatability(kp, s.head(2), kp, s, T, size, size), "one score per keypoint");
}

TEST(EvalMetrics, AveragePrecisionAndMutualNN) {
  EXPECT_DOUBLE_EQ(average_precision({1, 0, 1}, {0.9, 0.8, 0.7}), (1.0 + 2.0 / 3) / 2);
  EXPECT_DOUBLE_EQ(average_precision({0, 0}, {1, 2}), 0.0);
  EXPECT_DOUBLE_EQ(average_precision({1, 0}, {1, 1}), 0.5);  // ties form one threshold
  Descriptors a(3, 2), b(2, 2);
  a << 1, 0, 0, 1, 0.9, 0.1;
  b << 0, 1, 1, 0;
  std::vector<Match> m = mutual_nearest_neighbours(a, b);
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0].i1, 0);
  EXPECT_EQ(m[0].i2, 1);
  EXPECT_EQ(m[1].i1, 1);
  EXPECT_EQ(m[1].i2, 0);
}

TEST(EvalMetrics, DescriptorMetricsIdentity) {
  Points2 kp(5, 2);
  kp << 10, 10, 200, 30, 40, 180, 300, 220, 150, 120;
  Eigen::VectorXd s = Eigen::VectorXd::LinSpaced(5, 1, 0.5);
  Descriptors d = Descriptors::Identity(5, 8);
  DescriptorResult r =
      descriptor_metrics(kp, s, d, kp, s, d, Eigen::Matrix3d::Identity(), {320, 240}, {320, 240});
  EXPECT_TRUE(r.estimated);
  EXPECT_LT(r.corner_error, 1e-6);
  EXPECT_EQ(r.correct, (std::vector<uint8_t>{1, 1, 1}));
  EXPECT_DOUBLE_EQ(r.matching_score, 1.0);
  EXPECT_DOUBLE_EQ(r.nn_ap, 1.0);
  // Too few matches: estimation fails, every epsilon is incorrect.
  r = descriptor_metrics(kp.topRows(3), s.head(3), d.topRows(3), kp.topRows(3), s.head(3),
                         d.topRows(3), Eigen::Matrix3d::Identity(), {320, 240}, {320, 240});
  EXPECT_FALSE(r.estimated);
  EXPECT_TRUE(std::isinf(r.corner_error));
  EXPECT_EQ(r.correct, (std::vector<uint8_t>{0, 0, 0}));
}

TEST(EvalMetrics, MatchesReferenceImplementation) {
  auto f = test::load_fixture("eval_hpatches.h5");
  for (int i = 0; i < 3; ++i) {
    std::string g = "pair" + std::to_string(i) + "/";
    Points2 kp1 = points(f.at(g + "kp1")), kp2 = points(f.at(g + "kp2"));
    Eigen::VectorXd s1 = vec(f.at(g + "s1")), s2 = vec(f.at(g + "s2"));
    Descriptors d1 = descs(f.at(g + "d1")), d2 = descs(f.at(g + "d2"));
    Eigen::Matrix3d H = mat3(f.at(g + "H"));
    Eigen::VectorXd z1 = vec(f.at(g + "size1")), z2 = vec(f.at(g + "size2"));
    ImageSize size1{z1[0], z1[1]}, size2{z2[0], z2[1]};
    for (int k : {1000, 60}) {
      Eigen::VectorXd e = vec(f.at(g + "expected_k" + std::to_string(k)));
      RepeatabilityResult rep = repeatability(kp1, s1, kp2, s2, H, size1, size2, 3.0, k);
      EXPECT_NEAR(rep.repeatability, e[0], 1e-12) << g << k;
      EXPECT_NEAR(rep.localization_error, e[1], 1e-9) << g << k;
      DescriptorOptions opt;
      opt.top_k = k;
      DescriptorResult r = descriptor_metrics(kp1, s1, d1, kp2, s2, d2, H, size1, size2, opt);
      EXPECT_NEAR(r.matching_score, e[2], 1e-12) << g << k;
      EXPECT_NEAR(r.nn_ap, e[3], 1e-9) << g << k;
      EXPECT_EQ(r.num_matches, int(e[4])) << g << k;
      EXPECT_EQ(r.num_correct, int(e[5])) << g << k;
      EXPECT_TRUE(r.estimated);
      if (k == 1000) {
        EXPECT_LT(r.corner_error, 3.0) << g;  // 1.2 px noise on the true matches
      }
    }
  }
  Eigen::VectorXd err = vec(f.at("auc/errors")), thr = vec(f.at("auc/thresholds")),
                  exp = vec(f.at("auc/expected"));
  std::vector<double> aucs =
      error_auc({err.data(), err.data() + err.size()}, {thr.data(), thr.data() + thr.size()});
  for (int k = 0; k < thr.size(); ++k) EXPECT_NEAR(aucs[k], exp[k], 1e-12) << thr[k];
}

TEST(EvalMetrics, AucKnownValues) {
  // Errors 0 and +inf: recall 0.5 from the start -> AUC 0.5 at any threshold.
  std::vector<double> a = error_auc({0.0, std::numeric_limits<double>::infinity()}, {1, 5});
  EXPECT_DOUBLE_EQ(a[0], 0.5);
  EXPECT_DOUBLE_EQ(a[1], 0.5);
  // One error of 2: curve (0,0)-(2,1)-(4,1): area 1 + 2 = 3 over 4.
  EXPECT_DOUBLE_EQ(error_auc({2.0}, {4})[0], 0.75);
  // Errors must be strictly below a threshold to count.
  EXPECT_DOUBLE_EQ(mean_average_accuracy({2.0}, {4, 2}), (0.75 + 0.0) / 2);
  EXPECT_SP_ERROR(error_auc({1.0}, {0}), "thresholds > 0");
}

}  // namespace
}  // namespace sp::eval
