// Only the gradients that are needed are computed (an image input without
// requires_grad keeps an undefined grad while weight and bias get theirs), and the
// CUDA paths of a conv -> relu -> max_pool -> 1x1 conv chain (fused ReLU gradient,
// cuBLAS 1x1 convolution, bias reduction) give the CPU gradients.
#include <gtest/gtest.h>

#include "autograd/functions/conv.h"
#include "autograd/functions/elementwise.h"
#include "autograd/functions/pool.h"
#include "autograd/functions/reduce.h"
#include "autograd/var.h"
#include "helpers/test_helpers.h"
#include "tensor/ops/creation.h"

namespace sp::ag {
namespace {

using test::all_close;

Tensor values(const Shape& shape, uint64_t seed, DType dt = DType::F32) {
  return test::lcg_uniform(shape, seed, -1.0, 1.0, 11).to(dt);
}

struct Grads {
  Tensor x, w1, b1, w2, b2;
};

// loss = sum(conv1x1(max_pool(relu(conv3x3(x)))) * weights) on `device`.
Grads chain_grads(Device device, bool input_grad, DType dt) {
  Var x(values({2, 3, 8, 6}, 1, dt).to(device), input_grad);
  Var w1(values({5, 3, 3, 3}, 2, dt).to(device), true), b1(values({5}, 3, dt).to(device), true);
  Var w2(values({4, 5, 1, 1}, 4, dt).to(device), true), b2(values({4}, 5, dt).to(device), true);
  Var h = relu(conv2d(x, w1, b1, {1, 1}, {1, 1}));
  h = max_pool2d(h, Pool2dArgs{.kernel = {2, 2}, .stride = {2, 2}});
  Var y = conv2d(h, w2, b2);
  Var loss = sum(mul(y, Var(values(y.shape(), 6, dt).to(device))));
  backward(loss);
  auto cpu = [](const Var& v) { return v.grad().defined() ? v.grad().cpu() : Tensor(); };
  return {cpu(x), cpu(w1), cpu(b1), cpu(w2), cpu(b2)};
}

TEST(AgConvGrads, InputWithoutRequiresGradKeepsUndefinedGrad) {
  Grads g = chain_grads(kCPU, false, DType::F32);
  EXPECT_FALSE(g.x.defined());
  for (const Tensor* t : {&g.w1, &g.b1, &g.w2, &g.b2}) EXPECT_TRUE(t->defined());
  // The parameter gradients do not depend on whether the input's was computed.
  Grads with_input = chain_grads(kCPU, true, DType::F32);
  EXPECT_TRUE(with_input.x.defined());
  EXPECT_TRUE(test::equal(g.w1, with_input.w1));
  EXPECT_TRUE(test::equal(g.b2, with_input.b2));
}

TEST(AgConvGradsGpu, ChainGradientsMatchCpu) {
  SP_SKIP_WITHOUT_GPU();
  for (DType dt : {DType::F32, DType::F64}) {
    const double tol = dt == DType::F32 ? 1e-4 : 1e-10;
    for (bool input_grad : {false, true}) {
      Grads c = chain_grads(kCPU, input_grad, dt), g = chain_grads(cuda_device(), input_grad, dt);
      EXPECT_EQ(g.x.defined(), input_grad);
      if (input_grad) {
        EXPECT_TRUE(all_close(g.x, c.x, tol, tol));
      }
      EXPECT_TRUE(all_close(g.w1, c.w1, tol, tol));
      EXPECT_TRUE(all_close(g.b1, c.b1, tol, tol));
      EXPECT_TRUE(all_close(g.w2, c.w2, tol, tol));
      EXPECT_TRUE(all_close(g.b2, c.b2, tol, tol));
    }
  }
}

// conv2d_relu against relu(conv2d): values and all three gradients, with and without
// bias, on `device`; an input without requires_grad keeps an undefined grad.
void expect_conv_relu_matches_composition(Device device, DType dt, double tol) {
  for (bool with_bias : {true, false}) {
    const Conv2dArgs args{{1, 2}, {1, 0}, {1, 1}, 1};
    Tensor xt = values({2, 3, 7, 9}, 7, dt).to(device), wt = values({4, 3, 3, 3}, 8, dt).to(device);
    Tensor bt = values({4}, 9, dt).to(device);
    Tensor go = values({2, 4, 7, 4}, 10, dt).to(device);
    std::vector<Tensor> results[2];
    for (int fused = 0; fused < 2; ++fused) {
      Var x(xt, fused == 0), w(wt, true), b = with_bias ? Var(bt, true) : Var();
      Var y = fused ? conv2d_relu(x, w, b, args) : relu(conv2d(x, w, b, args));
      backward(y, go);
      results[fused] = {y.data().cpu(), w.grad().cpu(), with_bias ? b.grad().cpu() : Tensor()};
      if (fused == 0)
        results[fused].push_back(x.grad().cpu());
      else
        EXPECT_FALSE(x.grad().defined());
    }
    EXPECT_TRUE(all_close(results[1][0], results[0][0], tol, tol));
    EXPECT_TRUE(all_close(results[1][1], results[0][1], tol, tol));
    if (with_bias) {
      EXPECT_TRUE(all_close(results[1][2], results[0][2], tol, tol));
    }
    // The input gradient, when asked for, matches too.
    Var x(xt, true), w(wt, true), b = with_bias ? Var(bt, true) : Var();
    backward(conv2d_relu(x, w, b, args), go);
    EXPECT_TRUE(all_close(x.grad().cpu(), results[0][3], tol, tol));
  }
}

TEST(AgConvRelu, MatchesReluOfConv) {
  expect_conv_relu_matches_composition(kCPU, DType::F64, 1e-12);
}

TEST(AgConvReluGpu, MatchesReluOfConv) {
  SP_SKIP_WITHOUT_GPU();
  expect_conv_relu_matches_composition(cuda_device(), DType::F32, 1e-5);
  expect_conv_relu_matches_composition(cuda_device(), DType::F64, 1e-12);
}

TEST(AgConvRelu, RejectsABiasOfTheWrongShape) {
  Var x(values({1, 3, 5, 5}, 1), true), w(values({4, 3, 3, 3}, 2), true), b(values({3}, 3), true);
  EXPECT_SP_ERROR(conv2d_relu(x, w, b), "bias");
}

}  // namespace
}  // namespace sp::ag
