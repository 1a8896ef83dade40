// CUDA group/instance/layer norm against the CPU kernels on awkward shapes: f32, f64,
// f16, with and without affine parameters, forward and backward.
#include <gtest/gtest.h>

#include "helpers/test_helpers.h"
#include "tensor/ops/creation.h"
#include "tensor/ops/group_norm.h"

namespace sp {
namespace {

using test::all_close;

Tensor values(const Shape& shape, DType dtype, uint64_t seed, double lo = -2, double hi = 2) {
  return test::lcg_uniform(shape, seed, lo, hi, 29).to(dtype);
}
Tensor gpu(const Tensor& t) {
  return t.defined() ? t.cuda() : Tensor();
}

void expect_grads(const GroupNormGrads& got, const GroupNormGrads& want, double tol) {
  EXPECT_TRUE(
      all_close(got.grad_input.cpu().to(DType::F64), want.grad_input.to(DType::F64), tol, tol));
  if (want.grad_weight.defined()) {
    EXPECT_TRUE(
        all_close(got.grad_weight.cpu().to(DType::F64), want.grad_weight.to(DType::F64), tol, tol));
    EXPECT_TRUE(
        all_close(got.grad_bias.cpu().to(DType::F64), want.grad_bias.to(DType::F64), tol, tol));
  }
}

TEST(GroupNormGpu, LayerNormMatchesCpu) {
  SP_SKIP_WITHOUT_GPU();
  for (DType dt : {DType::F32, DType::F64, DType::F16}) {
    const double tol = dt == DType::F64 ? 1e-11 : dt == DType::F32 ? 1e-4 : 3e-2;
    for (const Shape& shape :
         std::vector<Shape>{{0, 5}, {1, 1}, {3, 7}, {2, 1025, 256}, {4, 3, 33}}) {
      const int64_t D = shape[shape.rank() - 1];
      for (bool affine : {true, false}) {
        Tensor x = values(shape, dt, 1), g = values(shape, dt, 2);
        Tensor w = affine ? values({D}, dt, 3) : Tensor(),
               b = affine ? values({D}, dt, 4) : Tensor();
        GroupNormResult c = layer_norm(x, {D}, w, b), r = layer_norm(x.cuda(), {D}, gpu(w), gpu(b));
        EXPECT_TRUE(all_close(r.output.cpu().to(DType::F64), c.output.to(DType::F64), tol, tol))
            << dt << shape;
        EXPECT_TRUE(all_close(r.rstd.cpu(), c.rstd, tol, tol)) << dt << shape;
        expect_grads(layer_norm_backward(g.cuda(), x.cuda(), {D}, gpu(w), r.mean, r.rstd),
                     layer_norm_backward(g, x, {D}, w, c.mean, c.rstd), tol * 10);
      }
    }
  }
}

TEST(GroupNormGpu, GroupAndInstanceNormMatchCpu) {
  SP_SKIP_WITHOUT_GPU();
  for (DType dt : {DType::F32, DType::F64}) {
    const double tol = dt == DType::F64 ? 1e-11 : 1e-4;
    for (const Shape& shape :
         std::vector<Shape>{{1, 4, 1, 1}, {2, 6, 5, 7}, {3, 16, 33, 65}, {2, 4, 0, 3}}) {
      for (int64_t groups : {int64_t(1), int64_t(2), shape[1]}) {
        const int64_t C = shape[1];
        Tensor x = values(shape, dt, 5), g = values(shape, dt, 6);
        Tensor xt = x.transpose(2, 3).contiguous().transpose(2, 3);  // non-contiguous
        Tensor w = values({C}, dt, 7), b = values({C}, dt, 8);
        GroupNormResult c = group_norm(xt, groups, w, b),
                        r = group_norm(xt.cuda(), groups, w.cuda(), b.cuda());
        EXPECT_TRUE(all_close(r.output.cpu(), c.output, tol, tol)) << dt << shape << groups;
        expect_grads(group_norm_backward(g.cuda(), xt.cuda(), groups, w.cuda(), r.mean, r.rstd),
                     group_norm_backward(g, xt, groups, w, c.mean, c.rstd), tol * 10);
      }
      Tensor x = values(shape, dt, 9);
      EXPECT_TRUE(all_close(instance_norm(x.cuda(), Tensor(), Tensor()).output.cpu(),
                            instance_norm(x, Tensor(), Tensor()).output, tol, tol));
    }
  }
}

}  // namespace
}  // namespace sp
