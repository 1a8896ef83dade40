// linear (one GEMM over folded leading dims, bias accumulated) and matmul/bmm in f16 and
// bf16 (CPU through f32; CUDA through cuBLAS with f32 accumulation, `Gpu` tests).
#include <gtest/gtest.h>

#include "helpers/test_helpers.h"
#include "tensor/ops/creation.h"
#include "tensor/ops/elementwise.h"
#include "tensor/ops/matmul.h"

namespace sp {
namespace {

using test::all_close;

Tensor values(const Shape& shape, uint64_t seed) {
  return test::lcg_uniform(shape, seed, -1, 1, 61);
}

TEST(Linear, MatchesMatmulPlusBias) {
  Tensor x = values({3, 5, 7}, 1), w = values({4, 7}, 2), b = values({4}, 3);
  Tensor want = add(matmul(x, w.t()), b);
  for (DType dt : {DType::F64, DType::F32}) {
    const double tol = dt == DType::F64 ? 1e-14 : 1e-5;
    EXPECT_TRUE(all_close(linear(x.to(dt), w.to(dt), b.to(dt)).to(DType::F64), want, tol, tol));
    EXPECT_TRUE(all_close(linear(x.to(dt), w.to(dt)).to(DType::F64), matmul(x, w.t()), tol, tol));
  }
  // strided input, 1-D input, empty and zero-width inputs
  EXPECT_TRUE(all_close(linear(x.transpose(0, 1), w, b), want.transpose(0, 1), 1e-14, 1e-14));
  EXPECT_TRUE(all_close(linear(x[0][0], w, b), want[0][0], 1e-14, 1e-14));
  EXPECT_EQ(linear(zeros({0, 7}, DType::F64), w, b).shape(), (Shape{0, 4}));
  EXPECT_TRUE(all_close(linear(zeros({2, 0}, DType::F64), zeros({4, 0}, DType::F64), b),
                        b.expand({2, 4}), 0, 0));
  EXPECT_SP_ERROR(linear(x, values({4, 6}, 4)),
                  "linear: expected input [*, 6] for weight [4, 6], got [3, 5, 7]");
  EXPECT_SP_ERROR(linear(x, w, values({5}, 5)), "linear: expected bias f64[4], got f64[5] cpu");
}

TEST(Linear, TiledF32PathMatchesF64) {
  // f32 with widths that are whole vectors takes the register-tiled GEMM: row counts that
  // are not multiples of the row block, depth beyond one depth chunk (300), strided inputs.
  for (int64_t rows : {1, 7, 100, 389}) {
    SCOPED_TRACE(rows);
    Tensor x = values({rows, 300}, 20), w = values({24, 300}, 21), b = values({24}, 22),
           g = values({rows, 24}, 23);
    Tensor want = add(matmul(x, w.t()), b);
    Tensor got = linear(x.to(DType::F32), w.to(DType::F32), b.to(DType::F32));
    EXPECT_TRUE(all_close(got.to(DType::F64), want, 1e-4, 1e-4));
    LinearGrads lg = linear_backward(g.to(DType::F32), x.to(DType::F32), w.to(DType::F32));
    EXPECT_TRUE(all_close(lg.grad_input.to(DType::F64), matmul(g, w), 1e-4, 1e-4));
    EXPECT_TRUE(all_close(lg.grad_weight.to(DType::F64), matmul(g.t(), x), 1e-4, 1e-4));
    // a transposed (column-major) input
    Tensor xt = x.t().contiguous().t().to(DType::F32);
    EXPECT_TRUE(
        all_close(linear(xt, w.to(DType::F32), b.to(DType::F32)).to(DType::F64), want, 1e-4, 1e-4));
    EXPECT_TRUE(all_close(
        linear_backward(g.to(DType::F32), xt, w.to(DType::F32)).grad_weight.to(DType::F64),
        matmul(g.t(), x), 1e-4, 1e-4));
  }
  LinearGrads only =
      linear_backward(values({3, 8}, 24), values({3, 5}, 25), values({8, 5}, 26), false, true);
  EXPECT_FALSE(only.grad_input.defined());
  EXPECT_EQ(only.grad_weight.shape(), (Shape{8, 5}));
  EXPECT_SP_ERROR(
      linear_backward(values({3, 7}, 27), values({3, 5}, 28), values({8, 5}, 29)),
      "linear_backward: expected a gradient f64[3, 8] cpu for input [3, 5] and weight [8, 5], got "
      "f64[3, 7] cpu");
}

TEST(Linear, HalfMatmulOnCpuComputesInFloat) {
  Tensor a = values({2, 5, 7}, 6), b = values({2, 7, 3}, 7);
  for (DType dt : {DType::F16, DType::BF16}) {
    Tensor got = bmm(a.to(dt), b.to(dt));
    EXPECT_EQ(got.dtype(), dt);
    EXPECT_TRUE(all_close(got.to(DType::F64), bmm(a.to(dt).to(DType::F64), b.to(dt).to(DType::F64)),
                          1e-2, 1e-2));
  }
  EXPECT_SP_ERROR(matmul(a.to(DType::F16), b),
                  "matmul: expected operands of the same dtype, got f16 and f64");
}

TEST(LinearGpu, HalfMatmulAndLinearMatchCpu) {
  SP_SKIP_WITHOUT_GPU();
  Tensor a = values({3, 65, 130}, 8), b = values({3, 130, 33}, 9);
  for (DType dt : {DType::F16, DType::BF16}) {
    const double tol = dt == DType::F16 ? 5e-3 : 3e-2;
    Tensor want = bmm(a.to(dt).to(DType::F32), b.to(dt).to(DType::F32));
    Tensor got = bmm(a.to(dt).cuda(), b.to(dt).cuda());
    EXPECT_EQ(got.dtype(), dt);
    EXPECT_TRUE(all_close(got.cpu().to(DType::F32), want, tol, tol));
    // broadcast batch and a transposed operand
    Tensor got_t = matmul(a.to(dt).cuda(), b[0].to(dt).cuda());
    EXPECT_TRUE(all_close(got_t.cpu().to(DType::F32),
                          matmul(a.to(dt).to(DType::F32), b[0].to(dt).to(DType::F32)), tol, tol));
    Tensor w = values({33, 130}, 10), bias = values({33}, 11);
    EXPECT_TRUE(all_close(
        linear(a.to(dt).cuda(), w.to(dt).cuda(), bias.to(dt).cuda()).cpu().to(DType::F32),
        linear(a.to(dt).to(DType::F32), w.to(dt).to(DType::F32), bias.to(dt).to(DType::F32)),
        tol * 2, tol * 2));
  }
  Tensor x = values({4, 9, 16}, 12), w = values({8, 16}, 13);
  EXPECT_TRUE(all_close(linear(x.cuda(), w.cuda()).cpu(), linear(x, w), 1e-12, 1e-12));
}

}  // namespace
}  // namespace sp
