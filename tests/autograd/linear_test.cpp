// f64 gradcheck of ag::linear (one GEMM over folded leading dims), CPU and CUDA: [B, N, C]
// and strided inputs, with and without a bias, and an empty batch.
#include "autograd/functions/matmul.h"
#include "gradcheck_helpers.h"

namespace sp::ag {
namespace {

using test::non_contiguous;
using test::uniform;
using Vars = std::vector<Var>;

AG_TEST(AgLinear, Gradcheck) {
  Tensor x = uniform({2, 3, 4}, -1, 1, 1, device), w = uniform({5, 4}, -1, 1, 2, device);
  Tensor b = uniform({5}, -1, 1, 3, device);
  EXPECT_GRADCHECK([](const Vars& v) { return linear(v[0], v[1], v[2]); }, {x, w, b});
  EXPECT_GRADCHECK([](const Vars& v) { return linear(v[0], v[1]); }, {non_contiguous(x), w});
  EXPECT_GRADCHECK([](const Vars& v) { return linear(v[0], v[1], v[2]); },
                   {uniform({4}, -1, 1, 4, device), w, b});  // a single vector
  Var e(zeros({0, 4}, DType::F64, device), true), wv(w, true), bv(b, true);
  backward(linear(e, wv, bv), zeros({0, 5}, DType::F64, device));
  EXPECT_TRUE(sp::test::all_close(wv.grad().cpu(), zeros({5, 4}, DType::F64), 0, 0));
  EXPECT_TRUE(sp::test::all_close(bv.grad().cpu(), zeros({5}, DType::F64), 0, 0));
}

}  // namespace
}  // namespace sp::ag
