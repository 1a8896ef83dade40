// f64 gradchecks of the differentiable reductions and softmax: several dim sets,
// keepdim, broadcast and non-contiguous inputs, size-1 dims; tie splitting of amax/amin,
// prod with zeros, std_dev of a constant group and min(dim) ties checked against PyTorch's
// values.
#include "autograd/functions/reduce.h"

#include <cmath>

#include "autograd/functions/softmax.h"
#include "autograd/operators.h"
#include "gradcheck_helpers.h"

namespace sp::ag {
namespace {

using test::away_from_zero;
using test::non_contiguous;
using test::uniform;
using Vars = std::vector<Var>;

Tensor values(std::vector<double> v, const Shape& shape, Device device) {
  return from_vector(v, shape).to(device);
}

AG_TEST(AgReduce, SumMean) {
  Tensor x = non_contiguous(uniform({3, 4, 2}, -1, 1, 1, device));
  Tensor w = uniform({4, 1}, -1, 1, 2, device);
  EXPECT_GRADCHECK([](const Vars& v) { return sum(v[0] * v[1], {1}); }, {x, w});  // broadcast w
  EXPECT_GRADCHECK([](const Vars& v) { return sum(v[0], {0, -1}, true); }, {x});
  EXPECT_GRADCHECK([](const Vars& v) { return sum(v[0]); }, {x});
  EXPECT_GRADCHECK([](const Vars& v) { return mean(v[0], {2, 0}); }, {x});
  EXPECT_GRADCHECK([](const Vars& v) { return mean(v[0] * v[1], {}, true); }, {x, w});
  EXPECT_GRADCHECK([](const Vars& v) { return mean(v[0], {1}); },
                   {uniform({2, 1, 3}, -1, 1, 3, device)});
  // 0-dim input. CPU only for now: a CUDA reduction of a 0-dim tensor views [] as
  // [1, 1, 1], which Tensor::view refuses (view_strides does not handle rank 0).
  if (device.is_cpu())
    EXPECT_GRADCHECK([](const Vars& v) { return sum(v[0]); }, {uniform({}, -1, 1, 4, device)});
}

AG_TEST(AgReduce, Var) {
  Tensor x = non_contiguous(uniform({4, 5}, -1, 1, 5, device));
  EXPECT_GRADCHECK([](const Vars& v) { return var(v[0]); }, {x});
  EXPECT_GRADCHECK([](const Vars& v) { return var(v[0], {1}, 0.0, true); }, {x});
  EXPECT_GRADCHECK([](const Vars& v) { return var(v[0] * v[1], {0}, 1.0); },
                   {x, uniform({5}, 0.5, 1.5, 6, device)});
}

AG_TEST(AgReduce, AmaxAminAwayFromTies) {
  Tensor x = non_contiguous(uniform({3, 5}, -1, 1, 7, device));
  EXPECT_GRADCHECK([](const Vars& v) { return amax(v[0], {1}); }, {x});
  EXPECT_GRADCHECK([](const Vars& v) { return amin(v[0], {0}, true); }, {x});
  EXPECT_GRADCHECK([](const Vars& v) { return amax(v[0]); }, {x});
  EXPECT_GRADCHECK([](const Vars& v) { return max(v[0], -1).first; }, {x});
  EXPECT_GRADCHECK([](const Vars& v) { return max(v[0], 0, true).first; }, {x});
}

AG_TEST(AgReduce, TiesSplitLikePyTorch) {
  // torch: amax/amin and norm(inf) share the gradient among ties; max(dim) gives it all
  // to the returned (first) index.
  Var x(values({1, 3, 3, 2, -1, -1, 0, 5}, {2, 4}, device), true);
  backward(sum(amax(x, {1}) * 2.0 + amin(x, {1})));
  EXPECT_TRUE(
      sp::test::all_close(x.grad().cpu(), values({1, 1, 1, 0, 0.5, 0.5, 0, 2}, {2, 4}, kCPU)));
  Var y(values({-3, 3, 1, 2}, {4}, device), true);
  backward(norm(y, INFINITY));
  EXPECT_TRUE(sp::test::all_close(y.grad().cpu(), values({-0.5, 0.5, 0, 0}, {4}, kCPU)));
  Var z(values({1, 3, 3, 2}, {1, 4}, device), true);
  auto [v, idx] = max(z, 1);
  backward(sum(v));
  EXPECT_EQ(idx.cpu().item<int64_t>(), 1);
  EXPECT_TRUE(sp::test::all_close(z.grad().cpu(), values({0, 1, 0, 0}, {1, 4}, kCPU)));
}

AG_TEST(AgReduce, Logsumexp) {
  Tensor x = non_contiguous(uniform({3, 4}, -3, 3, 8, device));
  EXPECT_GRADCHECK([](const Vars& v) { return logsumexp(v[0], {1}); }, {x});
  EXPECT_GRADCHECK([](const Vars& v) { return logsumexp(v[0], {0, 1}, true); }, {x});
}

AG_TEST(AgReduce, Norm) {
  Tensor x = non_contiguous(away_from_zero({3, 4}, 0.2, 1.5, 9, device));
  EXPECT_GRADCHECK([](const Vars& v) { return norm(v[0]); }, {x});
  EXPECT_GRADCHECK([](const Vars& v) { return norm(v[0], 2.0, {1}, true); }, {x});
  EXPECT_GRADCHECK([](const Vars& v) { return norm(v[0], 1.0, {0}); }, {x});
  EXPECT_GRADCHECK([](const Vars& v) { return norm(v[0], 3.0, {1}); }, {x});
  EXPECT_GRADCHECK([](const Vars& v) { return norm(v[0], 1.5, {}); }, {x});
  EXPECT_GRADCHECK([](const Vars& v) { return norm(v[0], INFINITY, {1}); }, {x});
  EXPECT_GRADCHECK([](const Vars& v) { return norm(v[0], -INFINITY, {0}); }, {x});
  // A zero vector has a zero gradient for p = 2 (PyTorch's masked subgradient).
  Var z(sp::zeros({3}, DType::F64, device), true);
  backward(norm(z));
  EXPECT_TRUE(sp::test::all_close(z.grad().cpu(), sp::zeros({3}, DType::F64)));
}

AG_TEST(AgReduce, ErrorsNameTheOp) {
  Var x(uniform({2, 3}, -1, 1, 10, device), true);
  EXPECT_SP_ERROR(sum(x, {1, -1}), "distinct dims");
  EXPECT_SP_ERROR(mean(x, {2}), "dim");
}

AG_TEST(AgReduce, Prod) {
  Tensor x = non_contiguous(away_from_zero({3, 4}, 0.5, 1.5, 14, device));
  EXPECT_GRADCHECK([](const Vars& v) { return prod(v[0], {1}); }, {x});
  EXPECT_GRADCHECK([](const Vars& v) { return prod(v[0], {0}, true); }, {x});
  EXPECT_GRADCHECK([](const Vars& v) { return prod(v[0]); }, {x});
  EXPECT_GRADCHECK([](const Vars& v) { return prod(v[0] * v[1], {0}); },
                   {x, uniform({4}, 0.5, 1.5, 15, device)});
  // prod is linear in each element, so central differences are exact at zeros too: rows
  // with no zero, one zero and two zeros.
  Tensor z = non_contiguous(values({2, 0, 3, -1, 0, 0, 5, 2, 1, 2, 4, 0.5}, {3, 4}, device));
  EXPECT_GRADCHECK([](const Vars& v) { return prod(v[0], {1}); }, {z});
  EXPECT_GRADCHECK([](const Vars& v) { return prod(v[0], {0}, true); }, {z});
}

AG_TEST(AgReduce, ProdZerosLikePyTorch) {
  // torch: one zero in a row gets the product of the others; two zeros give 0 everywhere.
  Var x(values({2, 0, 3, 0, 0, 5, 1, 2, 4}, {3, 3}, device), true);
  backward(sum(prod(x, {1})));
  EXPECT_TRUE(
      sp::test::all_close(x.grad().cpu(), values({0, 6, 0, 0, 0, 0, 8, 4, 2}, {3, 3}, kCPU)));
  Var y(values({2, 0, 3, 1, 5, 4}, {2, 3}, device), true);
  backward(prod(y));
  EXPECT_TRUE(sp::test::all_close(y.grad().cpu(), values({0, 120, 0, 0, 0, 0}, {2, 3}, kCPU)));
}

AG_TEST(AgReduce, StdDev) {
  Tensor x = non_contiguous(uniform({4, 5}, -1, 1, 16, device));
  EXPECT_GRADCHECK([](const Vars& v) { return std_dev(v[0]); }, {x});
  EXPECT_GRADCHECK([](const Vars& v) { return std_dev(v[0], {1}, 0.0, true); }, {x});
  EXPECT_GRADCHECK([](const Vars& v) { return std_dev(v[0] * v[1], {0}, 1.0); },
                   {x, uniform({5}, 0.5, 1.5, 17, device)});
  // A constant row has std 0 and (like PyTorch) a zero gradient, not NaN.
  Var c(values({1, 1, 1, 1, 2, 4}, {2, 3}, device), true);
  backward(sum(std_dev(c, {1})));
  const double s = std::sqrt(7.0 / 3.0), m = 7.0 / 3.0;
  EXPECT_TRUE(sp::test::all_close(
      c.grad().cpu(),
      values({0, 0, 0, (1 - m) / (2 * s), (2 - m) / (2 * s), (4 - m) / (2 * s)}, {2, 3}, kCPU)));
}

AG_TEST(AgReduce, MinDim) {
  Tensor x = non_contiguous(uniform({3, 5}, -1, 1, 18, device));
  EXPECT_GRADCHECK([](const Vars& v) { return min(v[0], -1).first; }, {x});
  EXPECT_GRADCHECK([](const Vars& v) { return min(v[0] * v[1], 0, true).first; },
                   {x, uniform({5}, 0.5, 1.5, 19, device)});
  // Ties: like max(dim), only the returned (first) index gets the gradient.
  Var z(values({1, -3, -3, 2}, {1, 4}, device), true);
  auto [v, idx] = min(z, 1);
  backward(sum(v));
  EXPECT_EQ(idx.cpu().item<int64_t>(), 1);
  EXPECT_TRUE(sp::test::all_close(z.grad().cpu(), values({0, 1, 0, 0}, {1, 4}, kCPU)));
}

AG_TEST(AgReduce, Cumsum) {
  Tensor x = non_contiguous(uniform({3, 4, 2}, -1, 1, 20, device));
  for (int64_t dim : {0, 1, -1})
    EXPECT_GRADCHECK([dim](const Vars& v) { return cumsum(v[0], dim); }, {x});
  EXPECT_GRADCHECK([](const Vars& v) { return cumsum(v[0] * v[1], 1); },
                   {x, uniform({4, 1}, 0.5, 1.5, 21, device)});
  EXPECT_GRADCHECK([](const Vars& v) { return cumsum(v[0], 1); },
                   {uniform({2, 1, 3}, -1, 1, 22, device)});
  // The gradient of a prefix sum of ones is the suffix count.
  Var y(values({1, 2, 3, 4}, {4}, device), true);
  backward(sum(cumsum(y, 0)));
  EXPECT_TRUE(sp::test::all_close(y.grad().cpu(), values({4, 3, 2, 1}, {4}, kCPU)));
}

AG_TEST(AgReduce, NewReductionErrorsNameTheOp) {
  Var x(uniform({2, 3}, -1, 1, 23, device), true);
  EXPECT_SP_ERROR(prod(x, {1, -1}), "distinct dims");
  EXPECT_SP_ERROR(std_dev(x, {2}), "dim");
  EXPECT_SP_ERROR(min(x, 2), "min: expected dim");
  EXPECT_SP_ERROR(cumsum(x, 2), "cumsum: expected dim");
}

AG_TEST(AgSoftmax, SoftmaxLogSoftmax) {
  Tensor x = non_contiguous(uniform({3, 4, 2}, -2, 2, 11, device));
  Tensor w = uniform({4, 1}, 0.5, 1.5, 12, device);
  for (int64_t dim : {0, 1, -1}) {
    EXPECT_GRADCHECK([dim](const Vars& v) { return softmax(v[0] * v[1], dim); }, {x, w});
    EXPECT_GRADCHECK([dim](const Vars& v) { return log_softmax(v[0], dim); }, {x});
  }
  EXPECT_GRADCHECK([](const Vars& v) { return log_softmax(v[0], 1); },
                   {uniform({2, 1}, -1, 1, 13, device)});
}

}  // namespace
}  // namespace sp::ag
