// f64 gradchecks of sin, cos, log1p, expm1, softplus, log_sigmoid, gelu (exact, tanh) and
// prelu, on the CPU and (suite + "Gpu") on CUDA; non-contiguous inputs and empty tensors.
#include "autograd/functions/activation.h"

#include "autograd/functions/elementwise.h"
#include "gradcheck_helpers.h"
#include "tensor/ops/operators.h"

namespace sp::ag {
namespace {

using test::away_from_zero;
using test::non_contiguous;
using test::uniform;
using Vars = std::vector<Var>;

AG_TEST(AgActivation, SmoothUnaryGradcheck) {
  Tensor x = non_contiguous(uniform({3, 5}, -3, 3, 1, device));
  EXPECT_GRADCHECK([](const Vars& v) { return sin(v[0]); }, {x});
  EXPECT_GRADCHECK([](const Vars& v) { return cos(v[0]); }, {x});
  EXPECT_GRADCHECK([](const Vars& v) { return expm1(v[0]); }, {x});
  EXPECT_GRADCHECK([](const Vars& v) { return log1p(v[0]); },
                   {uniform({4, 3}, -0.8, 3, 2, device)});
  EXPECT_GRADCHECK([](const Vars& v) { return softplus(v[0]); }, {x});
  // beta 2, threshold 3: both branches (|2 x - 3| kept away from the switch).
  EXPECT_GRADCHECK([](const Vars& v) { return softplus(v[0], 2.0, 3.0); },
                   {away_from_zero({4, 4}, 0.1, 3, 3, device) + 1.5});
  EXPECT_GRADCHECK([](const Vars& v) { return log_sigmoid(v[0]); },
                   {uniform({3, 4}, -30, 30, 4, device)});
  EXPECT_GRADCHECK([](const Vars& v) { return gelu(v[0]); }, {x});
  EXPECT_GRADCHECK([](const Vars& v) { return gelu_tanh(v[0]); }, {x});
}

AG_TEST(AgActivation, PreluGradcheck) {
  // Per-channel and shared weights, [N, C, H, W] and 1-D inputs; x away from the kink.
  Tensor x = non_contiguous(away_from_zero({2, 3, 4, 2}, 0.05, 2, 5, device));
  EXPECT_GRADCHECK([](const Vars& v) { return prelu(v[0], v[1]); },
                   {x, uniform({3}, 0, 0.5, 6, device)});
  EXPECT_GRADCHECK([](const Vars& v) { return prelu(v[0], v[1]); },
                   {x, uniform({1}, 0, 0.5, 7, device)});
  EXPECT_GRADCHECK([](const Vars& v) { return prelu(v[0], v[1]); },
                   {away_from_zero({5}, 0.05, 2, 8, device), uniform({1}, 0, 0.5, 9, device)});
  // N = 0: empty gradients of the right shapes.
  Var e(zeros({0, 3, 2}, DType::F64, device), true), w(full({3}, 0.25, DType::F64, device), true);
  Var y = prelu(e, w);
  backward(y, zeros({0, 3, 2}, DType::F64, device));
  EXPECT_EQ(e.grad().shape(), (Shape{0, 3, 2}));
  EXPECT_TRUE(sp::test::all_close(w.grad().cpu(), zeros({3}, DType::F64), 0, 0));
}

}  // namespace
}  // namespace sp::ag
