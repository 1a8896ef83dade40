// f64 gradchecks of scatter_add and index_add (gradients to the destination and to the
// source), masked_select (broadcast mask and broadcast input) and the values of sort and
// topk, with repeated indices, non-contiguous inputs and values checked against PyTorch's.
#include "autograd/functions/index.h"

#include "autograd/functions/reduce.h"
#include "autograd/operators.h"
#include "gradcheck_helpers.h"
#include "tensor/ops/elementwise.h"

namespace sp::ag {
namespace {

using test::non_contiguous;
using test::uniform;
using Vars = std::vector<Var>;

Tensor indices(std::vector<int64_t> v, const Shape& shape, Device device) {
  return from_vector(v, shape).to(device);
}
Tensor values(std::vector<double> v, const Shape& shape, Device device) {
  return from_vector(v, shape).to(device);
}
// A bool mask: true where `pattern` is 1.
Tensor mask_of(std::vector<double> pattern, const Shape& shape, Device device) {
  return sp::gt(values(pattern, shape, device), 0.5);
}

AG_TEST(AgIndex, ScatterAddDestinationAndSource) {
  Tensor x = non_contiguous(uniform({3, 4}, -1, 1, 1, device));
  Tensor w = uniform({4}, 0.5, 1.5, 2, device);
  // Repeated indices; src [3, 5] larger than index [2, 3]: its other elements get 0.
  Tensor idx1 = indices({0, 3, 3, 1, 1, 2}, {2, 3}, device);
  EXPECT_GRADCHECK([idx1](const Vars& v) { return scatter_add(v[0], 1, idx1, v[1]); },
                   {x, non_contiguous(uniform({3, 5}, -1, 1, 3, device))});
  Tensor idx0 = indices({2, 0, 2, 1, 0, 0, 1, 2}, {2, 4}, device);
  EXPECT_GRADCHECK([idx0](const Vars& v) { return scatter_add(v[0] * v[2], 0, idx0, v[1]); },
                   {x, uniform({2, 4}, -1, 1, 4, device), w});  // broadcast destination
  // Only one of the two needs a gradient.
  EXPECT_GRADCHECK([idx0](const Vars& v) { return scatter_add(v[0], 0, idx0, v[1]); },
                   {x, uniform({2, 4}, -1, 1, 5, device)},
                   GradcheckOptions{.requires_grad = {false, true}});
}

AG_TEST(AgIndex, ScatterAddGradientsLikePyTorch) {
  // torch: x.grad = w; src.grad = w gathered at index.
  Var x(sp::zeros({3}, DType::F64, device), true), src(values({1, 2, 3, 4}, {4}, device), true);
  Var w(values({1, 10, 100}, {3}, device));
  backward(sum(scatter_add(x, 0, indices({0, 2, 2, 1}, {4}, device), src) * w));
  EXPECT_EQ(x.grad().cpu().to_vector<double>(), (std::vector<double>{1, 10, 100}));
  EXPECT_EQ(src.grad().cpu().to_vector<double>(), (std::vector<double>{1, 100, 100, 10}));
}

AG_TEST(AgIndex, IndexAddDestinationAndSource) {
  Tensor x = non_contiguous(uniform({4, 3}, -1, 1, 6, device));
  Tensor idx = indices({2, 0, 2}, {3}, device);
  EXPECT_GRADCHECK([idx](const Vars& v) { return index_add(v[0], 0, idx, v[1]); },
                   {x, non_contiguous(uniform({3, 3}, -1, 1, 7, device))});
  EXPECT_GRADCHECK(
      [idx](const Vars& v) { return index_add(v[0] * v[2], 1, idx.narrow(0, 0, 2), v[1], -0.5); },
      {x, uniform({4, 2}, -1, 1, 8, device), uniform({3}, 0.5, 1.5, 9, device)});
  Var a(values({0, 0}, {2}, device), true), s(values({1, 2, 3}, {3}, device), true);
  backward(sum(index_add(a, 0, indices({1, 1, 0}, {3}, device), s, 2.0) *
               Var(values({3, 5}, {2}, device))));
  EXPECT_EQ(a.grad().cpu().to_vector<double>(), (std::vector<double>{3, 5}));
  EXPECT_EQ(s.grad().cpu().to_vector<double>(),
            (std::vector<double>{10, 10, 6}));  // torch: alpha * w[index]
}

AG_TEST(AgIndex, MaskedSelect) {
  Tensor x = non_contiguous(uniform({3, 4}, -1, 1, 10, device));
  Tensor mask = mask_of({1, 0, 0, 1, 1, 1, 0, 0, 0, 1, 1, 0}, {3, 4}, device);
  EXPECT_GRADCHECK([mask](const Vars& v) { return masked_select(v[0], mask); }, {x});
  Tensor row = mask_of({0, 1, 1, 0}, {4}, device);  // broadcast mask
  EXPECT_GRADCHECK([row](const Vars& v) { return masked_select(v[0], row); }, {x});
  // Broadcast input: each element's gradient sums over the rows that select it.
  EXPECT_GRADCHECK([mask](const Vars& v) { return masked_select(v[0], mask); },
                   {uniform({4}, -1, 1, 11, device)});
  EXPECT_GRADCHECK([row](const Vars& v) { return masked_select(v[0], row); },
                   {uniform({}, -1, 1, 14, device)});
  Var y(values({1, 2}, {2}, device), true);
  backward(sum(masked_select(y, mask_of({1, 0, 1, 1}, {2, 2}, device))));
  EXPECT_EQ(y.grad().cpu().to_vector<double>(), (std::vector<double>{2, 1}));
  Var z(values({1, 2}, {2}, device), true);  // nothing selected: a zero gradient
  backward(sum(masked_select(z, mask_of({0, 0}, {2}, device))));
  EXPECT_EQ(z.grad().cpu().to_vector<double>(), (std::vector<double>{0, 0}));
}

AG_TEST(AgIndex, IndexOpErrorsNameTheOp) {
  Var x(uniform({3, 4}, -1, 1, 12, device), true), src(uniform({2, 4}, -1, 1, 13, device), true);
  EXPECT_SP_ERROR(scatter_add(x, 0, indices({0, 3, 0, 0, 1, 1, 1, 1}, {2, 4}, device), src),
                  "[0, 3)");
  EXPECT_SP_ERROR(index_add(x, 0, indices({0, 1, 2}, {3}, device), src),
                  "index_add: expected src of shape");
  EXPECT_SP_ERROR(masked_select(x, values({1, 0, 1, 0}, {4}, device)), "masked_select");
  EXPECT_SP_ERROR(masked_select(x, mask_of({1, 0, 1}, {3}, device)), "masked_select");
}

// Distinct values (no ties, so sort/topk are differentiable everywhere): a permutation of
// 0..n-1 (stride 7, so n must not be a multiple of 7), scaled and shifted.
Tensor distinct(const Shape& shape, int64_t offset, Device device) {
  const int64_t n = numel(shape);
  std::vector<double> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) v[size_t(i)] = double((i * 7 + offset) % n) * 0.25 - 1.0;
  return values(v, shape, device);
}

AG_TEST(AgIndex, SortValues) {
  Tensor x = distinct({3, 5}, 2, device);
  for (bool descending : {false, true}) {
    EXPECT_GRADCHECK([descending](const Vars& v) { return sort(v[0], -1, descending).first; }, {x});
    EXPECT_GRADCHECK([descending](const Vars& v) { return sort(v[0], 0, descending).first; }, {x});
    EXPECT_GRADCHECK([descending](const Vars& v) { return sort(v[0], 1, descending).first; },
                     {non_contiguous(x)});
  }
  EXPECT_GRADCHECK([](const Vars& v) { return sort(v[0], 1, true).first; },
                   {distinct({2, 4, 3}, 5, device)});
  // torch: x = [3, 1, 2]; sort(x).values.backward([1, 10, 100]) gives x.grad = [100, 1, 10].
  Var y(values({3, 1, 2}, {3}, device), true);
  auto [sorted, order] = sort(y);
  EXPECT_EQ(order.cpu().to_vector<int64_t>(), (std::vector<int64_t>{1, 2, 0}));
  backward(sum(sorted * Var(values({1, 10, 100}, {3}, device))));
  EXPECT_EQ(y.grad().cpu().to_vector<double>(), (std::vector<double>{100, 1, 10}));
}

AG_TEST(AgIndex, TopkValues) {
  Tensor x = distinct({4, 5}, 3, device);
  for (bool largest : {true, false}) {
    for (int64_t k : {1, 3, 5})
      EXPECT_GRADCHECK([k, largest](const Vars& v) { return topk(v[0], k, -1, largest).first; },
                       {x});
    for (int64_t k : {1, 4})
      EXPECT_GRADCHECK([k, largest](const Vars& v) { return topk(v[0], k, 0, largest).first; },
                       {non_contiguous(x)});
  }
  // torch: x = [0.5, 2, -1, 3]; topk(x, 2).values.backward([1, 10]) gives [0, 10, 0, 1];
  // the elements topk drops get 0 (also with k = 0).
  Var y(values({0.5, 2, -1, 3}, {4}, device), true);
  auto [top, where] = topk(y, 2);
  EXPECT_EQ(where.cpu().to_vector<int64_t>(), (std::vector<int64_t>{3, 1}));
  backward(sum(top * Var(values({1, 10}, {2}, device))));
  EXPECT_EQ(y.grad().cpu().to_vector<double>(), (std::vector<double>{0, 10, 0, 1}));
  Var z(values({0.5, 2}, {2}, device), true);
  backward(sum(topk(z, 0).first));
  EXPECT_EQ(z.grad().cpu().to_vector<double>(), (std::vector<double>{0, 0}));
}

AG_TEST(AgIndex, TopkErrorsNameKAndTheSize) {
  Var x(distinct({3, 5}, 1, device), true);
  EXPECT_SP_ERROR(topk(x, 6), "topk: expected k in [0, 5] for dim 1 of [3, 5], got 6");
  EXPECT_SP_ERROR(topk(x, 4, 0), "expected k in [0, 3]");
  EXPECT_SP_ERROR(topk(x, -1), "got -1");
  EXPECT_SP_ERROR(sort(x, 2), "sort");
}

}  // namespace
}  // namespace sp::ag
