#include "tensor/ops/matmul.h"

#include <gtest/gtest.h>

#include "helpers/test_helpers.h"
#include "tensor/ops/creation.h"

namespace sp {
namespace {

using test::all_close;

class MatmulFixture : public ::testing::TestWithParam<const char*> {
 protected:
  static std::map<std::string, Tensor>& data() {
    static std::map<std::string, Tensor> d = test::load_fixture("matmul.h5");
    return d;
  }
  Tensor get(const std::string& key) { return data().at(std::string(GetParam()) + "/" + key); }
};

TEST_P(MatmulFixture, MatchesPyTorchInF64AndF32) {
  Tensor a = get("a"), b = get("b"), expected = get("out");
  EXPECT_TRUE(all_close(matmul(a, b), expected, 1e-12, 1e-12));
  EXPECT_TRUE(
      all_close(matmul(a.to(DType::F32), b.to(DType::F32)), expected.to(DType::F32), 1e-4, 1e-4));
}

INSTANTIATE_TEST_SUITE_P(Matmul, MatmulFixture,
                         ::testing::Values("dot", "vec_mat", "mat_vec", "mm", "batched",
                                           "broadcast", "batched_vec", "vec_batched", "k_zero",
                                           "large"));

TEST(Matmul, NonContiguousOperandsUseTheirStrides) {
  auto d = test::load_fixture("matmul.h5");
  Tensor a = d.at("large/a"), b = d.at("large/b"), expected = d.at("large/out");
  // Transposed copies viewed back: column-major operands.
  Tensor at = a.t().contiguous().t(), bt = b.t().contiguous().t();
  EXPECT_TRUE(all_close(matmul(at, bt), expected, 1e-12, 1e-12));
  // Strided slices (neither rows nor columns contiguous): copied internally.
  Tensor wide = zeros({140, 260}, DType::F64);
  wide.slice(0, 0, 140, 2).slice(1, 0, 260, 2).copy_(a);
  Tensor as = wide.slice(0, 0, 140, 2).slice(1, 0, 260, 2);
  EXPECT_FALSE(as.is_contiguous());
  EXPECT_TRUE(all_close(matmul(as, b), expected, 1e-12, 1e-12));
  EXPECT_TRUE(all_close(mm(as, bt), expected, 1e-12, 1e-12));
}

TEST(Matmul, BmmMatchesPerBatchMm) {
  auto d = test::load_fixture("matmul.h5");
  Tensor a = d.at("batched/a"), b = d.at("batched/b");
  Tensor out = bmm(a, b);
  EXPECT_EQ(out.shape(), (Shape{3, 4, 2}));
  EXPECT_TRUE(all_close(out, d.at("batched/out"), 1e-12, 1e-12));
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(all_close(out[i], mm(a[i], b[i]), 1e-12, 1e-12));
}

TEST(Matmul, ManySmallBatchesRunInParallel) {
  // 64 batches of 8x8: the per-batch threaded path; check against single mm calls.
  Tensor a = arange(0.0, 64 * 8 * 8, 1.0, DType::F32).reshape({64, 8, 8});
  Tensor b = ones({8, 3}, DType::F32);
  Tensor out = matmul(a, b);
  EXPECT_EQ(out.shape(), (Shape{64, 8, 3}));
  for (int i : {0, 17, 63}) EXPECT_TRUE(all_close(out[i], mm(a[i], b)));
}

TEST(Matmul, SizeZeroDims) {
  EXPECT_EQ(matmul(zeros({0, 3}), zeros({3, 4})).shape(), (Shape{0, 4}));
  EXPECT_EQ(bmm(zeros({0, 2, 3}), zeros({0, 3, 4})).shape(), (Shape{0, 2, 4}));
  Tensor k0 = matmul(zeros({2, 0}), zeros({0, 3}));
  EXPECT_TRUE(test::equal(k0, zeros({2, 3})));
}

TEST(Matmul, ErrorsNameTheShapes) {
  EXPECT_SP_ERROR(matmul(zeros({2, 3}), zeros({4, 5})), "[2, 3] x [4, 5]");
  EXPECT_SP_ERROR(matmul(zeros({2, 2, 3}), zeros({3, 3, 5})), "[2] and [3]");
  EXPECT_SP_ERROR(mm(zeros({2, 3}), zeros({3})), "expected two 2-D tensors, got [2, 3] and [3]");
  EXPECT_SP_ERROR(bmm(zeros({2, 2, 3}), zeros({1, 3, 5})), "[2, 2, 3] x [1, 3, 5]");
  EXPECT_SP_ERROR(matmul(zeros({2, 3}), zeros({3, 2}, DType::F64)), "same dtype, got f32 and f64");
  EXPECT_SP_ERROR(matmul(zeros({2, 3}, DType::I64), zeros({3, 2}, DType::I64)),
                  "expected dtype f32 or f64 (or f16, bf16), got i64");
  EXPECT_SP_ERROR(matmul(scalar_tensor(1.0), zeros({3})), "at least 1 dim");
}

}  // namespace
}  // namespace sp
