#include "tensor/ops/norm.h"

#include <gtest/gtest.h>

#include <cmath>

#include "helpers/test_helpers.h"
#include "tensor/ops/creation.h"

namespace sp {
namespace {

using test::all_close;

std::map<std::string, Tensor>& norm_data() {
  static std::map<std::string, Tensor> d = test::load_fixture("norm.h5");
  return d;
}

class BatchNormFixture : public ::testing::TestWithParam<const char*> {};

TEST_P(BatchNormFixture, TrainEvalAndBackwardMatchPyTorch) {
  const std::string name = GetParam();
  auto get = [&](const std::string& k, DType dt) {
    return norm_data().at(name + "/" + k).to(dt).clone();
  };
  for (DType dt : {DType::F64, DType::F32}) {
    SCOPED_TRACE(sp::name(dt));
    const double tol = dt == DType::F64 ? 1e-10 : 1e-4;
    Tensor x = get("input", dt), w = get("weight", dt), b = get("bias", dt);
    Tensor rm = get("running_mean", dt), rv = get("running_var", dt);

    EXPECT_TRUE(all_close(batch_norm_eval(x, w, b, rm, rv), get("eval/out", dt), tol, tol));
    Tensor invstd = full({x.size(1)}, 0.0, dt);
    std::vector<double> var = rv.to_vector<double>();
    for (int64_t c = 0; c < x.size(1); ++c) invstd[c].fill_(1.0 / std::sqrt(var[size_t(c)] + 1e-5));
    BatchNormGrads ge = batch_norm_backward(get("eval/grad_out", dt), x, w, rm, invstd, false);
    EXPECT_TRUE(all_close(ge.grad_input, get("eval/grad_input", dt), tol, tol));
    EXPECT_TRUE(all_close(ge.grad_weight, get("eval/grad_weight", dt), tol, tol));
    EXPECT_TRUE(all_close(ge.grad_bias, get("eval/grad_bias", dt), tol, tol));

    BatchNormResult r = batch_norm_train(x, w, b, rm, rv, 0.1, 1e-5);
    EXPECT_TRUE(all_close(r.output, get("train/out", dt), tol, tol));
    EXPECT_TRUE(all_close(rm, get("train/running_mean", dt), tol, tol));
    EXPECT_TRUE(all_close(rv, get("train/running_var", dt), tol, tol));
    BatchNormGrads gt =
        batch_norm_backward(get("train/grad_out", dt), x, w, r.save_mean, r.save_invstd);
    EXPECT_TRUE(all_close(gt.grad_input, get("train/grad_input", dt), tol, tol));
    EXPECT_TRUE(all_close(gt.grad_weight, get("train/grad_weight", dt), tol, tol));
    EXPECT_TRUE(all_close(gt.grad_bias, get("train/grad_bias", dt), tol, tol));
  }
}

INSTANTIATE_TEST_SUITE_P(BatchNorm, BatchNormFixture,
                         ::testing::Values("nchw", "nc", "ncl", "batch1"));

TEST(BatchNorm, NonContiguousInputWithoutAffineOrRunningStats) {
  Tensor x = norm_data().at("nchw/input");
  Tensor x_nhwc = x.permute({0, 2, 3, 1}).contiguous().permute({0, 3, 1, 2});
  EXPECT_FALSE(x_nhwc.is_contiguous());
  BatchNormResult a = batch_norm_train(x, {}, {}, {}, {});
  BatchNormResult b = batch_norm_train(x_nhwc, {}, {}, {}, {});
  EXPECT_TRUE(all_close(b.output, a.output, 1e-12, 1e-12));
  // Without weight and bias each channel comes out with mean 0.
  std::vector<double> m = batch_norm_train(a.output, {}, {}, {}, {}).save_mean.to_vector<double>();
  for (double v : m) EXPECT_NEAR(v, 0.0, 1e-12);
}

TEST(BatchNorm, ErrorsNameTheShapes) {
  Tensor x = zeros({2, 3, 4, 4});
  EXPECT_SP_ERROR(batch_norm_train(x, zeros({4}), {}, {}, {}),
                  "expected weight of shape [3] for input [2, 3, 4, 4], got [4]");
  EXPECT_SP_ERROR(batch_norm_train(zeros({1, 3}), {}, {}, {}, {}), "more than 1 value per channel");
  EXPECT_SP_ERROR(batch_norm_eval(x, {}, {}, {}, zeros({3})), "expected running_mean of shape [3]");
  EXPECT_SP_ERROR(batch_norm_eval(zeros({3}), {}, {}, zeros({3}), zeros({3})),
                  "[N, C, *], got [3]");
  EXPECT_SP_ERROR(batch_norm_backward(zeros({2, 3}), x, {}, zeros({3}), zeros({3})),
                  "expected grad_out like input");
}

}  // namespace
}  // namespace sp
