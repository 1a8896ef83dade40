// f64 gradchecks of the differentiable elementwise ops: broadcasting, non-contiguous
// inputs, inputs kept away from kinks.
#include "autograd/functions/elementwise.h"

#include "autograd/operators.h"
#include "gradcheck_helpers.h"

namespace sp::ag {
namespace {

using test::away_from_zero;
using test::non_contiguous;
using test::uniform;
using Vars = std::vector<Var>;

AG_TEST(AgElementwise, AddSubBroadcast) {
  Tensor a = uniform({3, 4}, -1, 1, 1, device);
  Tensor b = uniform({4}, -1, 1, 2, device);
  EXPECT_GRADCHECK([](const Vars& v) { return v[0] + v[1]; }, {a, b});
  EXPECT_GRADCHECK([](const Vars& v) { return v[1] - v[0]; }, {non_contiguous(a), b});
  Tensor c = uniform({2, 1, 4}, -1, 1, 3, device);
  EXPECT_GRADCHECK([](const Vars& v) { return (v[0] - v[1]) + 2.0 - (1.0 - v[0]); }, {c, a});
}

AG_TEST(AgElementwise, MulDivBroadcast) {
  Tensor a = uniform({2, 3, 4}, -1, 1, 4, device);
  Tensor b = away_from_zero({3, 1}, 0.5, 2, 5, device);
  EXPECT_GRADCHECK([](const Vars& v) { return v[0] * v[1] * 3.0; }, {a, b});
  EXPECT_GRADCHECK([](const Vars& v) { return v[0] / v[1] / 2.0; }, {a, b});
  EXPECT_GRADCHECK([](const Vars& v) { return 1.5 / v[0]; },
                   {non_contiguous(away_from_zero({3, 4}, 0.5, 2, 6, device))});
  // The same value used twice (gradients accumulate in the engine).
  EXPECT_GRADCHECK([](const Vars& v) { return v[0] * v[0] + v[0]; },
                   {non_contiguous(uniform({4, 3}, -1, 1, 7, device))});
}

AG_TEST(AgElementwise, Pow) {
  Tensor a = uniform({3, 4}, 0.5, 2, 8, device);
  Tensor b = uniform({4}, -1.5, 1.5, 9, device);
  EXPECT_GRADCHECK([](const Vars& v) { return pow(v[0], v[1]); }, {a, b});
  EXPECT_GRADCHECK([](const Vars& v) { return pow(v[0], 2.5); }, {non_contiguous(a)});
}

AG_TEST(AgElementwise, MaximumMinimumWhere) {
  Tensor a = uniform({3, 4}, -1, 1, 10, device);
  Tensor b = uniform({4}, -1, 1, 11, device);  // ties have probability zero
  EXPECT_GRADCHECK([](const Vars& v) { return maximum(v[0], v[1]); }, {a, b});
  EXPECT_GRADCHECK([](const Vars& v) { return minimum(v[1], v[0]); }, {non_contiguous(a), b});
  Tensor cond = sp::gt(uniform({3, 1}, -1, 1, 12, device), 0.0);
  EXPECT_GRADCHECK([cond](const Vars& v) { return where(cond, v[0], v[1]); }, {a, b});
}

AG_TEST(AgElementwise, SmoothUnary) {
  Tensor x = non_contiguous(uniform({4, 3}, -2, 2, 13, device));
  Tensor pos = non_contiguous(uniform({4, 3}, 0.3, 3, 14, device));
  EXPECT_GRADCHECK([](const Vars& v) { return neg(v[0]); }, {x});
  EXPECT_GRADCHECK([](const Vars& v) { return exp(v[0]); }, {x});
  EXPECT_GRADCHECK([](const Vars& v) { return log(v[0]); }, {pos});
  EXPECT_GRADCHECK([](const Vars& v) { return sqrt(v[0]); }, {pos});
  EXPECT_GRADCHECK([](const Vars& v) { return rsqrt(v[0]); }, {pos});
  EXPECT_GRADCHECK([](const Vars& v) { return sigmoid(v[0]); }, {x});
  EXPECT_GRADCHECK([](const Vars& v) { return tanh(v[0]); }, {x});
  EXPECT_GRADCHECK([](const Vars& v) { return square(v[0]); }, {x});
  EXPECT_GRADCHECK([](const Vars& v) { return reciprocal(v[0]); }, {pos});
}

AG_TEST(AgElementwise, KinkedUnaryAwayFromKinks) {
  Tensor x = non_contiguous(away_from_zero({4, 3}, 0.1, 2, 15, device));
  EXPECT_GRADCHECK([](const Vars& v) { return abs(v[0]); }, {x});
  EXPECT_GRADCHECK([](const Vars& v) { return relu(v[0]); }, {x});
  EXPECT_GRADCHECK([](const Vars& v) { return leaky_relu(v[0], 0.2); }, {x});
  // Values on both sides of the bounds -1 and 1, none near them.
  Tensor c = from_vector(std::vector<double>{-1.7, -0.6, -0.2, 0.3, 0.8, 1.9}, {2, 3}).to(device);
  EXPECT_GRADCHECK(
      [](const Vars& v) {
        return clamp(v[0], -1.0, 1.0) + clamp(v[0], {}, 1.0) * 2.0 + clamp(v[0], -1.0, {}) * 3.0;
      },
      {non_contiguous(c)});
}

TEST(AgElementwise, MixedDtypesGiveGradsInEachInputsDtype) {
  Var a(uniform({3}, -1, 1, 16).to(DType::F32), true);
  Var b(uniform({3}, -1, 1, 17), true);
  Var y = a * b;
  EXPECT_EQ(y.dtype(), DType::F64);
  backward(y, ones_like(y.data()));
  EXPECT_EQ(a.grad().dtype(), DType::F32);
  EXPECT_EQ(b.grad().dtype(), DType::F64);
  EXPECT_TRUE(sp::test::all_close(a.grad().to(DType::F64), b.data()));
}

}  // namespace
}  // namespace sp::ag
