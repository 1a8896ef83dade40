// CUDA batch norm (training statistics with running-stat updates, eval, backward in both
// modes) against the CPU kernels, f32 and f64, with and without affine parameters.
#include <gtest/gtest.h>

#include "helpers/test_helpers.h"
#include "tensor/ops/creation.h"
#include "tensor/ops/norm.h"

namespace sp {
namespace {

using test::all_close;

Tensor values(const Shape& shape, DType dtype, uint64_t seed, double lo = -2, double hi = 2) {
  return test::lcg_uniform(shape, seed, lo, hi, 23).to(dtype);
}

TEST(NormGpu, BatchNormTrainEvalAndBackwardMatchCpu) {
  SP_SKIP_WITHOUT_GPU();
  for (DType dt : {DType::F32, DType::F64}) {
    const double tol = dt == DType::F32 ? 2e-5 : 1e-11;
    for (const Shape& shape :
         std::vector<Shape>{{2, 3, 5, 7}, {4, 1}, {3, 65, 33}, {2, 8, 64, 80}}) {
      const int64_t C = shape[1];
      Tensor x = values(shape, dt, 1), w = values({C}, dt, 2), b = values({C}, dt, 3);
      for (bool affine : {true, false}) {
        Tensor wt = affine ? w : Tensor(), bt = affine ? b : Tensor();
        Tensor rm = values({C}, dt, 4), rv = values({C}, dt, 5, 0.5, 2);
        Tensor rm_g = rm.cuda(), rv_g = rv.cuda();
        BatchNormResult cpu = batch_norm_train(x, wt, bt, rm, rv, 0.1, 1e-5);
        BatchNormResult gpu = batch_norm_train(x.cuda(), affine ? w.cuda() : Tensor(),
                                               affine ? b.cuda() : Tensor(), rm_g, rv_g, 0.1, 1e-5);
        EXPECT_TRUE(all_close(gpu.output, cpu.output, tol, tol)) << dt << shape;
        EXPECT_TRUE(all_close(gpu.save_mean, cpu.save_mean, tol, tol)) << dt << shape;
        EXPECT_TRUE(all_close(gpu.save_invstd, cpu.save_invstd, tol, tol)) << dt << shape;
        EXPECT_TRUE(all_close(rm_g, rm, tol, tol)) << dt << shape;
        EXPECT_TRUE(all_close(rv_g, rv, tol, tol)) << dt << shape;
        EXPECT_TRUE(all_close(batch_norm_eval(x.cuda(), affine ? w.cuda() : Tensor(),
                                              affine ? b.cuda() : Tensor(), rm_g, rv_g, 1e-3),
                              batch_norm_eval(x, wt, bt, rm, rv, 1e-3), tol, tol))
            << dt << shape;
        Tensor go = values(shape, dt, 6);
        for (bool training : {true, false}) {
          BatchNormGrads gc =
              batch_norm_backward(go, x, wt, cpu.save_mean, cpu.save_invstd, training);
          BatchNormGrads gg = batch_norm_backward(go.cuda(), x.cuda(), affine ? w.cuda() : Tensor(),
                                                  gpu.save_mean, gpu.save_invstd, training);
          EXPECT_TRUE(all_close(gg.grad_input, gc.grad_input, tol * 10, tol * 10))
              << dt << shape << training;
          EXPECT_TRUE(all_close(gg.grad_weight, gc.grad_weight, tol * 10, tol * 10))
              << dt << shape << training;
          EXPECT_TRUE(all_close(gg.grad_bias, gc.grad_bias, tol * 10, tol * 10))
              << dt << shape << training;
        }
      }
    }
  }
}

}  // namespace
}  // namespace sp
