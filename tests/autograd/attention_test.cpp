// f64 gradchecks of the fused attention, CPU and CUDA (suite + "Gpu"): no mask, key-padding
// and full masks with fully masked rows, N = 0 and 1, M = 1, non-contiguous inputs, and
// agreement with the unfused composition's gradients.
#include "autograd/functions/attention.h"

#include "autograd/functions/elementwise.h"
#include "autograd/functions/matmul.h"
#include "autograd/functions/softmax.h"
#include "autograd/functions/views.h"
#include "autograd/operators.h"
#include "gradcheck_helpers.h"
#include "tensor/ops/elementwise.h"

namespace sp::ag {
namespace {

using test::non_contiguous;
using test::uniform;
using Vars = std::vector<Var>;

AG_TEST(AgAttention, Gradcheck) {
  Tensor q = non_contiguous(uniform({2, 3, 4, 5}, -1, 1, 1, device));
  Tensor k = uniform({2, 3, 6, 5}, -1, 1, 2, device),
         v = non_contiguous(uniform({2, 3, 6, 3}, -1, 1, 3, device));
  EXPECT_GRADCHECK([](const Vars& x) { return scaled_dot_product_attention(x[0], x[1], x[2]); },
                   {q, k, v});
  // key padding, batch 1 fully masked
  Tensor pad = sp::gt(uniform({2, 1, 1, 6}, 0, 1, 4, kCPU), 0.3);
  pad.select(0, 1).fill_(0.0);
  pad = pad.to(device);
  EXPECT_GRADCHECK(
      [pad](const Vars& x) { return scaled_dot_product_attention(x[0], x[1], x[2], pad, 0.7); },
      {q, k, v});
  // a full [N, M] mask with an empty row
  Tensor full = sp::gt(uniform({4, 6}, 0, 1, 5, kCPU), 0.4);
  full.select(0, 2).fill_(0.0);
  full = full.to(device);
  EXPECT_GRADCHECK(
      [full](const Vars& x) { return scaled_dot_product_attention(x[0], x[1], x[2], full); },
      {q, k, v});
}

AG_TEST(AgAttention, SmallAndEmptySizes) {
  auto fn = [](const Vars& x) { return scaled_dot_product_attention(x[0], x[1], x[2]); };
  EXPECT_GRADCHECK(fn, {uniform({1, 1, 3}, -1, 1, 6, device), uniform({1, 1, 3}, -1, 1, 7, device),
                        uniform({1, 1, 2}, -1, 1, 8, device)});  // N = M = 1
  EXPECT_GRADCHECK(fn, {uniform({1, 5, 3}, -1, 1, 9, device), uniform({1, 1, 3}, -1, 1, 10, device),
                        uniform({1, 1, 2}, -1, 1, 11, device)});  // M = 1
  // N = 0: empty output, zero-sized and zero gradients
  Var q(zeros({2, 0, 3}, DType::F64, device), true), k(uniform({2, 4, 3}, -1, 1, 12, device), true);
  Var v(uniform({2, 4, 2}, -1, 1, 13, device), true);
  Var y = scaled_dot_product_attention(q, k, v);
  EXPECT_EQ(y.shape(), (Shape{2, 0, 2}));
  backward(y, zeros({2, 0, 2}, DType::F64, device));
  EXPECT_TRUE(sp::test::all_close(k.grad().cpu(), zeros({2, 4, 3}, DType::F64), 0, 0));
}

AG_TEST(AgAttention, MatchesUnfusedGradients) {
  Tensor qt = uniform({1, 2, 70, 8}, -1, 1, 14, device),
         kt = uniform({1, 2, 150, 8}, -1, 1, 15, device);
  Tensor vt = uniform({1, 2, 150, 8}, -1, 1, 16, device),
         gt = uniform({1, 2, 70, 8}, -1, 1, 17, device);
  Var q1(qt, true), k1(kt, true), v1(vt, true), q2(qt, true), k2(kt, true), v2(vt, true);
  backward(scaled_dot_product_attention(q1, k1, v1, {}, 0.5), gt);
  backward(matmul(softmax(mul(matmul(q2, transpose(k2, -1, -2)), 0.5), -1), v2), gt);
  for (auto [a, b] : {std::pair{q1, q2}, {k1, k2}, {v1, v2}})
    EXPECT_TRUE(sp::test::all_close(a.grad().cpu(), b.grad().cpu(), 1e-11, 1e-12));
}

}  // namespace
}  // namespace sp::ag
