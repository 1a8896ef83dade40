// f64 gradchecks of layer_norm, group_norm and instance_norm (fused kernels), CPU and
// CUDA (suite + "Gpu"): affine or not, non-contiguous inputs, one-element groups.
#include "autograd/functions/norm.h"
#include "gradcheck_helpers.h"

namespace sp::ag {
namespace {

using test::non_contiguous;
using test::uniform;
using Vars = std::vector<Var>;

AG_TEST(AgGroupNorm, LayerNormGradcheck) {
  Tensor x = non_contiguous(uniform({4, 3, 6}, -2, 2, 1, device));
  Tensor w = uniform({6}, 0.5, 1.5, 2, device), b = uniform({6}, -1, 1, 3, device);
  EXPECT_GRADCHECK([](const Vars& v) { return layer_norm(v[0], {6}, v[1], v[2]); }, {x, w, b});
  EXPECT_GRADCHECK([](const Vars& v) { return layer_norm(v[0], {3, 6}, Var(), Var()); }, {x});
  // Bias only: its gradient without a weight.
  EXPECT_GRADCHECK([](const Vars& v) { return layer_norm(v[0], {6}, Var(), v[1]); }, {x, b});
  EXPECT_GRADCHECK([](const Vars& v) { return layer_norm(v[0], {1}, Var(), Var()); },
                   {uniform({3, 1}, -1, 1, 4, device)});
}

AG_TEST(AgGroupNorm, GroupAndInstanceNormGradcheck) {
  Tensor x = non_contiguous(uniform({2, 4, 3, 5}, -2, 2, 5, device));
  Tensor w = uniform({4}, 0.5, 1.5, 6, device), b = uniform({4}, -1, 1, 7, device);
  EXPECT_GRADCHECK([](const Vars& v) { return group_norm(v[0], 2, v[1], v[2]); }, {x, w, b});
  EXPECT_GRADCHECK([](const Vars& v) { return group_norm(v[0], 1, Var(), Var()); }, {x});
  EXPECT_GRADCHECK([](const Vars& v) { return instance_norm(v[0], v[1], v[2]); }, {x, w, b});
  EXPECT_GRADCHECK([](const Vars& v) { return instance_norm(v[0], Var(), Var()); },
                   {uniform({1, 2, 1, 3}, -1, 1, 8, device)});
}

AG_TEST(AgGroupNorm, EmptyBatch) {
  Var x(zeros({0, 4, 3}, DType::F64, device), true), w(ones({4}, DType::F64, device), true);
  Var y = group_norm(x, 2, w, Var());
  backward(y, zeros({0, 4, 3}, DType::F64, device));
  EXPECT_EQ(x.grad().shape(), (Shape{0, 4, 3}));
  EXPECT_TRUE(sp::test::all_close(w.grad().cpu(), zeros({4}, DType::F64), 0, 0));
}

}  // namespace
}  // namespace sp::ag
