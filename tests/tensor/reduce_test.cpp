#include "tensor/ops/reduce.h"

#include <gtest/gtest.h>

#include <cmath>

#include "helpers/test_helpers.h"
#include "tensor/ops/creation.h"
#include "tensor/ops/elementwise.h"

namespace sp {
namespace {

using test::all_close;
using test::equal;

class Reduce : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    f_ = new std::map<std::string, Tensor>(test::load_fixture("reduce.h5"));
  }
  static void TearDownTestSuite() { delete f_; }
  static const Tensor& at(const std::string& k) { return f_->at(k); }
  static std::map<std::string, Tensor>* f_;
};
std::map<std::string, Tensor>* Reduce::f_ = nullptr;

TEST_F(Reduce, SumMeanVarMatchPyTorch) {
  const Tensor& x = at("x");
  EXPECT_TRUE(all_close(sum(x), at("sum_all")));
  EXPECT_EQ(sum(x).dim(), 0);
  EXPECT_TRUE(all_close(sum(x, {1}), at("sum_1")));
  EXPECT_TRUE(all_close(sum(x, {0, 2}, true), at("sum_02_keep")));  // two blocks: two passes
  EXPECT_TRUE(
      all_close(sum(x.to(DType::F16), {0, 2}, true), at("sum_02_keep"), 1e-2, 1e-2));  // permuted
  EXPECT_TRUE(all_close(sum(x, {-1}), at("sum_neg1")));
  EXPECT_TRUE(all_close(sum(x.transpose(0, 2), {0}), at("sum_t_0")));
  EXPECT_TRUE(all_close(prod(x, {2}), at("prod_2")));
  EXPECT_TRUE(all_close(mean(x, {1, 2}), at("mean_12")));
  EXPECT_TRUE(all_close(mean(x, {0}), at("mean_0")));
  EXPECT_TRUE(all_close(var(x, {1}), at("var_1")));
  EXPECT_TRUE(all_close(var(x, {}, 0.0), at("var_all_biased")));
  EXPECT_TRUE(all_close(std_dev(x, {0, 2}), at("std_02")));
  EXPECT_TRUE(all_close(logsumexp(x, {1}), at("logsumexp_1")));
}

TEST_F(Reduce, LargeF32SumsStayAccurate) {
  const Tensor& big = at("big");  // [2000, 50]: column and row paths
  EXPECT_TRUE(all_close(sum(big, {0}), at("big_sum_0"), 1e-5, 1e-4));
  EXPECT_TRUE(all_close(sum(big, {1}), at("big_sum_1"), 1e-5, 1e-4));
  EXPECT_TRUE(all_close(sum(big), at("big_sum_all"), 1e-5));
  EXPECT_TRUE(all_close(var(big, {0}), at("big_var_0"), 1e-5));
}

TEST_F(Reduce, ExtremaAndIndices) {
  const Tensor& x = at("x");
  EXPECT_TRUE(equal(amax(x, {0, 2}), at("amax_02")));
  EXPECT_TRUE(equal(amin(x, {1}, true), at("amin_1_keep")));
  ValuesIndices m = max(x, 1);
  EXPECT_TRUE(equal(m.values, at("max_1_values")));
  EXPECT_TRUE(equal(m.indices, at("max_1_indices")));
  ValuesIndices n = min(x, -1, true);
  EXPECT_TRUE(equal(n.values, at("min_2_values")));
  EXPECT_TRUE(equal(n.indices, at("min_2_indices")));
  EXPECT_TRUE(equal(argmax(x), at("argmax_all")));
  EXPECT_TRUE(equal(argmin(x, 0), at("argmin_0")));
  EXPECT_EQ(max(x).item<float>(), amax(x).item<float>());
}

TEST_F(Reduce, Norms) {
  const Tensor& x = at("x");
  EXPECT_TRUE(all_close(norm(x), at("norm_all")));
  EXPECT_TRUE(all_close(norm(x, 1, {2}), at("norm_1_dim2")));
  EXPECT_TRUE(all_close(norm(x, INFINITY, {1}), at("norm_inf_dim1")));
  EXPECT_TRUE(all_close(norm(x, 3, {0}), at("norm_3_dim0")));
}

TEST_F(Reduce, CumsumAlongAnyDim) {
  const Tensor& x = at("x");
  EXPECT_TRUE(all_close(cumsum(x, 1), at("cumsum_1")));
  EXPECT_TRUE(all_close(cumsum(x.transpose(0, 1), 0), at("cumsum_t_0")));
  EXPECT_TRUE(equal(cumsum(at("xi"), 0), at("xi_cumsum_0")));
}

TEST_F(Reduce, IntegersAndBools) {
  const Tensor& xi = at("xi");
  EXPECT_TRUE(equal(sum(xi, {1}), at("xi_sum_1")));
  EXPECT_TRUE(equal(amax(xi, {0}), at("xi_amax_0")));
  EXPECT_TRUE(equal(sum(gt(xi, 0)), at("xb_sum")));  // bool sums to i64
  EXPECT_TRUE(equal(any(xi, {1}), at("xi_any_1")));
  EXPECT_TRUE(equal(all(xi, {0}), at("xi_all_0")));
  EXPECT_SP_ERROR(mean(xi), "mean: expected a floating dtype, got i32");
}

TEST_F(Reduce, NaNPropagatesLikePyTorch) {
  const Tensor& xn = at("xn");
  EXPECT_TRUE(equal(amax(xn, {1}), at("xn_amax_1")));
  ValuesIndices m = max(xn, 1);
  EXPECT_TRUE(equal(m.values, at("xn_max_1_values")));
  EXPECT_TRUE(equal(m.indices, at("xn_max_1_indices")));
  EXPECT_TRUE(all_close(sum(xn, {1}), at("xn_sum_1")));
  EXPECT_TRUE(all_close(logsumexp(at("lse_in"), {1}), at("lse_out")));
}

TEST_F(Reduce, HalfAccumulatesInF32) {
  const Tensor& h = at("h");
  Tensor s = sum(h, {1});
  EXPECT_EQ(s.dtype(), DType::F16);
  EXPECT_TRUE(all_close(s, at("h_sum_1"), 1e-3, 1e-3));
  EXPECT_TRUE(all_close(mean(h, {0}), at("h_mean_0"), 1e-3, 1e-3));
}

TEST_F(Reduce, EmptyAndSizeOne) {
  EXPECT_TRUE(equal(sum(zeros({0, 3}), {0}), at("empty_sum_0")));
  EXPECT_TRUE(equal(prod(zeros({0, 3}), {0}), at("empty_prod_0")));
  EXPECT_TRUE(all_close(mean(zeros({0, 3}), {0}), at("empty_mean_0")));
  EXPECT_EQ(sum(zeros({3, 0}), {0}).shape(), (Shape{0}));
  EXPECT_EQ(sum(ones({2, 1, 3}), {1}).shape(), (Shape{2, 3}));
  EXPECT_EQ(sum(scalar_tensor(4.0), {0}).item<float>(), 4.0f);
  EXPECT_EQ(sum_to(ones({4, 2, 3}), {2, 1}).to_vector<float>(), (std::vector<float>{12, 12}));
  EXPECT_EQ(sum_to(ones({2, 3}), {2, 3}).shape(), (Shape{2, 3}));
}

TEST_F(Reduce, ErrorsNameOpAndShape) {
  EXPECT_SP_ERROR(amax(zeros({0, 3}), {0}),
                  "amax: expected a non-empty reduction, got shape [0, 3]");
  EXPECT_SP_ERROR(max(zeros({2, 0}), 1), "max: expected a non-empty dim 1, got shape [2, 0]");
  EXPECT_SP_ERROR(sum(zeros({2, 3}), {0, 0}), "sum: expected distinct dims");
  EXPECT_SP_ERROR(sum(zeros({2, 3}), {2}), "sum");
  EXPECT_SP_ERROR(sum_to(ones({2, 3}), {4}), "sum_to");
}

}  // namespace
}  // namespace sp
