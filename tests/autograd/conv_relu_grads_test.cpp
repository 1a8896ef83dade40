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
  std::vector<double> v(size_t(numel(shape)));
  uint64_t s = seed * 0x9e3779b97f4a7c15ull + 11;
  for (auto& x : v) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    x = -1.0 + 2.0 * double(s >> 11) / double(1ull << 53);
  }
  return from_vector(v, shape).to(dt);
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

}  // namespace
}  // namespace sp::ag
