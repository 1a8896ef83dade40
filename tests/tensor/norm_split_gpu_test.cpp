// Batch-norm CUDA reductions split over several blocks per channel (tensor/cuda/norm.cu):
// shapes where the split walks many images per block, one huge image, and a single
// channel, against the CPU kernels.
#include <gtest/gtest.h>

#include "helpers/test_helpers.h"
#include "tensor/ops/creation.h"
#include "tensor/ops/norm.h"

namespace sp {
namespace {

using test::all_close;

Tensor values(const Shape& shape, DType dtype, uint64_t seed, double lo, double hi) {
  return test::lcg_uniform(shape, seed, lo, hi, 5).to(dtype);
}

TEST(NormGpu, SplitReductionsMatchCpuOnManyImagesAndLargePlanes) {
  SP_SKIP_WITHOUT_GPU();
  for (DType dt : {DType::F32, DType::F64}) {
    const double tol = dt == DType::F32 ? 5e-5 : 1e-11;
    for (const Shape& shape :
         std::vector<Shape>{{600, 3, 5}, {1, 2, 70000}, {130, 1, 2, 3}, {1000, 4}}) {
      const int64_t C = shape[1];
      // An offset mean (3) checks that the variance is taken about the mean.
      Tensor x = values(shape, dt, 1, 2, 4), w = values({C}, dt, 2, -1, 1),
             b = values({C}, dt, 3, -1, 1);
      Tensor rm = zeros({C}, dt), rv = ones({C}, dt);
      Tensor rm_g = rm.cuda(), rv_g = rv.cuda();
      BatchNormResult cpu = batch_norm_train(x, w, b, rm, rv, 0.1, 1e-5);
      BatchNormResult gpu = batch_norm_train(x.cuda(), w.cuda(), b.cuda(), rm_g, rv_g, 0.1, 1e-5);
      EXPECT_TRUE(all_close(gpu.output, cpu.output, tol, tol)) << dt << shape;
      EXPECT_TRUE(all_close(gpu.save_mean, cpu.save_mean, tol, tol)) << dt << shape;
      EXPECT_TRUE(all_close(gpu.save_invstd, cpu.save_invstd, tol, tol)) << dt << shape;
      EXPECT_TRUE(all_close(rm_g, rm, tol, tol)) << dt << shape;
      EXPECT_TRUE(all_close(rv_g, rv, tol, tol)) << dt << shape;
      Tensor go = values(shape, dt, 4, -1, 1);
      BatchNormGrads gc = batch_norm_backward(go, x, w, cpu.save_mean, cpu.save_invstd, true);
      BatchNormGrads gg =
          batch_norm_backward(go.cuda(), x.cuda(), w.cuda(), gpu.save_mean, gpu.save_invstd, true);
      EXPECT_TRUE(all_close(gg.grad_input, gc.grad_input, tol * 10, tol * 10)) << dt << shape;
      EXPECT_TRUE(all_close(gg.grad_weight, gc.grad_weight, tol * 10, tol * 10)) << dt << shape;
      EXPECT_TRUE(all_close(gg.grad_bias, gc.grad_bias, tol * 10, tol * 10)) << dt << shape;
    }
  }
}

}  // namespace
}  // namespace sp
