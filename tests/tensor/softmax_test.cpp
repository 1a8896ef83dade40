#include "tensor/ops/softmax.h"

#include <gtest/gtest.h>

#include "helpers/test_helpers.h"
#include "tensor/ops/creation.h"
#include "tensor/ops/elementwise.h"
#include "tensor/ops/random.h"

namespace sp {
namespace {

using test::all_close;

TEST(Softmax, MatchesPyTorchAlongEveryDim) {
  auto f = test::load_fixture("softmax.h5");
  const Tensor& x = f.at("x");
  EXPECT_TRUE(all_close(softmax(x, 1), f.at("softmax_1")));
  EXPECT_TRUE(all_close(log_softmax(x, 1), f.at("log_softmax_1"), 1e-5, 1e-5));
  EXPECT_TRUE(all_close(softmax(x, -1), f.at("softmax_last")));
  EXPECT_TRUE(all_close(log_softmax(x, 0), f.at("log_softmax_0"), 1e-5, 1e-5));
  EXPECT_TRUE(all_close(softmax(x.transpose(1, 3), 1), f.at("softmax_t")));
  EXPECT_TRUE(all_close(log_softmax(f.at("d"), 0), f.at("d_log_softmax"), 1e-12, 1e-12));
}

TEST(Softmax, StableForLargeInfAndNaN) {
  auto f = test::load_fixture("softmax.h5");
  EXPECT_TRUE(all_close(softmax(f.at("big"), 1), f.at("big_softmax")));
  EXPECT_TRUE(all_close(log_softmax(f.at("big"), 1), f.at("big_log_softmax")));
}

TEST(Softmax, HalfComputesInF32) {
  auto f = test::load_fixture("softmax.h5");
  Tensor s = softmax(f.at("h"), 1);
  EXPECT_EQ(s.dtype(), DType::F16);
  EXPECT_TRUE(all_close(s, f.at("h_softmax"), 1e-3, 1e-4));
}

TEST(Softmax, SizeZeroOneAndErrors) {
  EXPECT_EQ(softmax(zeros({0, 4}), 1).shape(), (Shape{0, 4}));
  EXPECT_EQ(softmax(zeros({3, 1}), 1).to_vector<float>(), (std::vector<float>{1, 1, 1}));
  EXPECT_EQ(log_softmax(scalar_tensor(2.0), 0).item<float>(), 0.0f);
  EXPECT_SP_ERROR(softmax(zeros({2}, DType::I64), 0),
                  "softmax: expected x of a floating dtype, got i64");
  EXPECT_SP_ERROR(softmax(zeros({2, 3}), 2), "softmax");
}

}  // namespace
}  // namespace sp

namespace sp {
namespace {

// A long f32 row: the sum of exponentials must not drift (a sequential f32 sum of 300k
// terms is off by ~2e-4 relative); the f64 softmax of the same values is the reference.
TEST(Softmax, LongF32RowsMatchTheF64Result) {
  Generator gen(3);
  Tensor s = sub(mul(rand({2, 300007}, gen), 20.0), 10.0);
  Tensor exact = softmax(s.to(DType::F64), 1);
  EXPECT_TRUE(test::all_close(softmax(s, 1).to(DType::F64), exact, 2e-6, 0));
  EXPECT_TRUE(
      test::all_close(log_softmax(s, 1).to(DType::F64), log_softmax(s.to(DType::F64), 1), 0, 2e-6));
}

}  // namespace
}  // namespace sp
