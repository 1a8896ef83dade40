// CUDA convolution paths against the CPU kernels: 1x1 convolutions through cuBLAS, the
// per-channel bias-gradient reduction, cuDNN 3x3 (measured algorithm choice), empty
// gradients; plus the CPU contract the CUDA gradient buffers rely on.
#include <gtest/gtest.h>

#include "helpers/test_helpers.h"
#include "tensor/ops/conv.h"
#include "tensor/ops/creation.h"

namespace sp {
namespace {

using test::all_close;

Tensor values(const Shape& shape, DType dtype, uint64_t seed) {
  return test::lcg_uniform(shape, seed, -1.0, 1.0, 7).to(dtype);
}

struct Case {
  Shape input, weight;
  Conv2dArgs args;
};

// Forward and the three gradients on CUDA equal the CPU kernels.
void expect_conv_parity(const Case& c, DType dt, bool transposed_input) {
  const double tol = dt == DType::F32 ? 2e-4 : 1e-10;
  Tensor x = values(c.input, dt, 1), w = values(c.weight, dt, 2), b = values({c.weight[0]}, dt, 3);
  if (transposed_input)  // a non-contiguous view with the same shape
    x = values({c.input[0], c.input[1], c.input[3], c.input[2]}, dt, 1).transpose(2, 3);
  Tensor y = conv2d(x, w, b, c.args);
  Tensor y_gpu = conv2d(x.cuda(), w.cuda(), b.cuda(), c.args);
  EXPECT_TRUE(all_close(y_gpu.cpu(), y, tol, tol)) << c.input << " * " << c.weight;
  Tensor g = values(y.shape(), dt, 4);
  EXPECT_TRUE(all_close(conv2d_backward_input(g.cuda(), c.input, w.cuda(), c.args).cpu(),
                        conv2d_backward_input(g, c.input, w, c.args), tol, tol));
  EXPECT_TRUE(all_close(conv2d_backward_weight(g.cuda(), x.cuda(), c.weight, c.args).cpu(),
                        conv2d_backward_weight(g, x, c.weight, c.args), tol, tol));
  EXPECT_TRUE(all_close(conv2d_backward_bias(g.cuda()).cpu(), conv2d_backward_bias(g), tol, tol));
}

TEST(ConvGpu, PointwiseConvolutionsMatchCpu) {
  SP_SKIP_WITHOUT_GPU();
  for (DType dt : {DType::F32, DType::F64})
    for (const Case& c : std::vector<Case>{{{3, 5, 7, 9}, {11, 5, 1, 1}, {}},
                                           {{1, 256, 6, 5}, {65, 256, 1, 1}, {}},
                                           {{2, 1, 1, 1}, {3, 1, 1, 1}, {}},
                                           {{4, 7, 3, 5}, {1, 7, 1, 1}, {}}})
      for (bool transposed : {false, true}) expect_conv_parity(c, dt, transposed);
}

TEST(ConvGpu, SpatialConvolutionsMatchCpu) {
  SP_SKIP_WITHOUT_GPU();
  for (DType dt : {DType::F32, DType::F64})
    for (const Case& c :
         std::vector<Case>{{{2, 3, 9, 11}, {5, 3, 3, 3}, {{1, 1}, {1, 1}, {1, 1}, 1}},
                           {{3, 4, 8, 7}, {6, 2, 3, 3}, {{2, 1}, {0, 1}, {1, 1}, 2}},
                           {{2, 4, 6, 6}, {4, 4, 1, 1}, {{2, 2}, {0, 0}, {1, 1}, 1}},
                           {{1, 1, 5, 5}, {64, 1, 3, 3}, {{1, 1}, {1, 1}, {1, 1}, 1}}})
      expect_conv_parity(c, dt, true);
}

TEST(ConvGpu, BiasGradientMatchesCpuOnOddShapes) {
  SP_SKIP_WITHOUT_GPU();
  for (DType dt : {DType::F32, DType::F64}) {
    // The CPU kernel sums sequentially in the dtype: f32 sums of ~20k terms differ ~1e-4.
    const double tol = dt == DType::F32 ? 1e-4 : 1e-10;
    for (const Shape& s : std::vector<Shape>{
             {3, 5, 7, 9}, {1, 1, 1, 1}, {2, 700, 1, 3}, {70, 2, 17, 19}, {5, 3, 1, 300}}) {
      Tensor g = values(s, dt, 5);
      EXPECT_TRUE(
          all_close(conv2d_backward_bias(g.cuda()).cpu(), conv2d_backward_bias(g), tol, tol))
          << s;
      // A non-contiguous gradient is made contiguous first.
      Tensor gt = values({s[0], s[1], s[3], s[2]}, dt, 6).transpose(2, 3);
      EXPECT_TRUE(
          all_close(conv2d_backward_bias(gt.cuda()).cpu(), conv2d_backward_bias(gt), tol, tol))
          << s;
    }
  }
}

TEST(ConvGpu, EmptyBatchGivesZeroWeightAndBiasGradients) {
  SP_SKIP_WITHOUT_GPU();
  for (const Shape& w : std::vector<Shape>{{4, 3, 3, 3}, {4, 3, 1, 1}}) {
    const Conv2dArgs args{{1, 1}, {w[2] / 2, w[3] / 2}, {1, 1}, 1};
    Tensor x = empty({0, 3, 5, 5}, DType::F32, cuda_device());
    Tensor g = empty({0, 4, 5, 5}, DType::F32, cuda_device());
    EXPECT_TRUE(all_close(conv2d_backward_weight(g, x, w, args).cpu(), zeros(w)));
    EXPECT_TRUE(all_close(conv2d_backward_bias(g).cpu(), zeros({4})));
    EXPECT_EQ(conv2d_backward_input(g, x.shape(), values(w, DType::F32, 1).cuda(), args).numel(),
              0);
  }
}

// The CPU kernels accumulate, so their buffers must start at zero; an empty batch or an
// empty weight leaves zero gradients (the CUDA kernels mirror this with explicit fills).
TEST(ConvBackwardBuffers, EmptyOperandsGiveZeroGradients) {
  const Conv2dArgs args{{1, 1}, {1, 1}, {1, 1}, 1};
  Tensor x = empty({0, 3, 5, 5});
  Tensor g = empty({0, 4, 5, 5});
  EXPECT_TRUE(test::equal(conv2d_backward_weight(g, x, {4, 3, 3, 3}, args), zeros({4, 3, 3, 3})));
  EXPECT_TRUE(test::equal(conv2d_backward_bias(g), zeros({4})));
  Tensor g2 = values({2, 0, 5, 5}, DType::F32, 1);
  EXPECT_TRUE(test::equal(conv2d_backward_input(g2, {2, 3, 5, 5}, empty({0, 3, 3, 3}), args),
                          zeros({2, 3, 5, 5})));
  // Repeated calls start from fresh zeros (no accumulation across calls).
  Tensor xs = values({2, 3, 5, 5}, DType::F32, 2), gs = values({2, 4, 5, 5}, DType::F32, 3);
  Tensor first = conv2d_backward_weight(gs, xs, {4, 3, 3, 3}, args);
  EXPECT_TRUE(test::equal(conv2d_backward_weight(gs, xs, {4, 3, 3, 3}, args), first));
}

}  // namespace
}  // namespace sp
