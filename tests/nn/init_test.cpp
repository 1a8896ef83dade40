#include "nn/init.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "helpers/test_helpers.h"
#include "tensor/ops/creation.h"

namespace sp::nn::init {
namespace {

std::pair<double, double> min_max(const Tensor& t) {
  auto v = t.to(DType::F64).to_vector<double>();
  auto [lo, hi] = std::minmax_element(v.begin(), v.end());
  return {*lo, *hi};
}

double stddev(const Tensor& t) {
  auto v = t.to(DType::F64).to_vector<double>();
  double mean = 0, sq = 0;
  for (double x : v) mean += x;
  mean /= double(v.size());
  for (double x : v) sq += (x - mean) * (x - mean);
  return std::sqrt(sq / double(v.size()));
}

TEST(Init, FansAndGainsMatchTorch) {
  EXPECT_EQ(fans({64, 32, 3, 3}), (std::pair<int64_t, int64_t>{288, 576}));
  EXPECT_EQ(fans({10, 4}), (std::pair<int64_t, int64_t>{4, 10}));
  EXPECT_DOUBLE_EQ(gain("relu"), std::sqrt(2.0));
  EXPECT_DOUBLE_EQ(gain("leaky_relu", std::sqrt(5.0)), std::sqrt(1.0 / 3.0));
  EXPECT_DOUBLE_EQ(gain("tanh"), 5.0 / 3.0);
  EXPECT_SP_ERROR(gain("swish"), "got 'swish'");
  EXPECT_SP_ERROR(fans({3}), "rank >= 2");
}

TEST(Init, DefaultConvInitIsUniformWithinOneOverSqrtFanIn) {
  Tensor w = empty({64, 32, 3, 3}), b = empty({64});
  Generator gen(7);
  init::default_linear_init(w, b, gen);
  double bound = 1.0 / std::sqrt(288.0);
  auto [lo, hi] = min_max(w);
  EXPECT_GE(lo, -bound);
  EXPECT_LE(hi, bound);
  EXPECT_LT(lo, -0.95 * bound);  // the whole range is used
  EXPECT_GT(hi, 0.95 * bound);
  EXPECT_NEAR(stddev(w), bound / std::sqrt(3.0), 0.02 * bound);
  auto [blo, bhi] = min_max(b);
  EXPECT_GE(blo, -bound);
  EXPECT_LE(bhi, bound);
  // Same generator state, same weights.
  Tensor w2 = empty({64, 32, 3, 3}), none;
  Generator again(7);
  init::default_linear_init(w2, none, again);
  EXPECT_TRUE(test::equal(w2, w));
}

TEST(Init, KaimingAndXavierScales) {
  Generator gen(3);
  Tensor k = empty({256, 128});
  init::kaiming_normal_(k, 0.0, "fan_out", "relu", gen);
  EXPECT_NEAR(stddev(k), std::sqrt(2.0 / 256), 0.03 * std::sqrt(2.0 / 256));
  Tensor x = empty({256, 128}, DType::F64);
  init::xavier_uniform_(x, 1.0, gen);
  double bound = std::sqrt(6.0 / 384);
  auto [lo, hi] = min_max(x);
  EXPECT_GE(lo, -bound);
  EXPECT_LE(hi, bound);
  Tensor xn = empty({256, 128});
  init::xavier_normal_(xn, 2.0, gen);
  EXPECT_NEAR(stddev(xn), 2.0 * std::sqrt(2.0 / 384), 0.03 * 2.0 * std::sqrt(2.0 / 384));
  Tensor ints = zeros({4, 4}, DType::I64);
  EXPECT_SP_ERROR(kaiming_uniform_(ints), "expected a floating tensor, got i64");
  EXPECT_SP_ERROR(kaiming_uniform_(k, 0.0, "fan_mid"), "got 'fan_mid'");
}

}  // namespace
}  // namespace sp::nn::init
