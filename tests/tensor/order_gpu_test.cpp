// CUDA sort / argsort / topk, nonzero, masked_select, one_hot and reflect/replicate pad
// against the CPU kernels: sizes 0 and 1, odd and large rows, transposed / stepped /
// broadcast (stride-0) views, many ties, NaN and -0. Ties must come out in input order
// on both devices, so indices are compared exactly.
#include <gtest/gtest.h>

#include <cmath>

#include "helpers/test_helpers.h"
#include "tensor/ops/creation.h"
#include "tensor/ops/elementwise.h"
#include "tensor/ops/index.h"
#include "tensor/ops/movement.h"

namespace sp {
namespace {

using test::equal;

// Small integers (many ties) with a sprinkling of NaN, -0 and +0 when `specials`.
Tensor tied_values(const Shape& shape, DType dtype, uint64_t seed, int levels = 7,
                   bool specials = true) {
  std::vector<double> v(size_t(numel(shape)));
  uint64_t s = seed * 0x9e3779b97f4a7c15ull + 17;
  for (auto& x : v) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    const uint64_t r = s >> 33;
    x = double(int64_t(r % uint64_t(levels)) - levels / 2);
    if (specials && r % 23 == 0) x = NAN;
    if (specials && r % 19 == 0) x = -0.0;
  }
  return from_vector(v, shape).to(dtype);
}

Tensor distinct_values(const Shape& shape, DType dtype, uint64_t seed) {
  std::vector<double> v(size_t(numel(shape)));
  uint64_t s = seed * 0x9e3779b97f4a7c15ull + 3;
  for (auto& x : v) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    x = double(s >> 11) / double(1ull << 53) * 200 - 100;
  }
  return from_vector(v, shape).to(dtype);
}

// The same view of a CPU tensor and of its CUDA copy (Tensor::to makes copies contiguous,
// so strided and stride-0 views must be taken on each device).
struct Pair {
  Tensor cpu, gpu;
};
template <typename F>
Pair view_pair(const Tensor& base, F&& view) {
  return {view(base), view(base.cuda())};
}

::testing::AssertionResult same_sort(const Tensor& t, int64_t dim, bool descending,
                                     const Tensor& gpu = {}) {
  const Tensor tg = gpu.defined() ? gpu : t.cuda();
  ValuesIndices g = sort(tg, dim, descending), c = sort(t, dim, descending);
  if (!g.values.is_cuda()) return ::testing::AssertionFailure() << "result not on CUDA";
  auto v = equal(g.values, c.values);
  if (!v)
    return v << " (values, " << t.meta() << " dim " << dim << " descending " << descending << ")";
  auto i = equal(g.indices, c.indices);
  if (!i)
    return i << " (indices, " << t.meta() << " dim " << dim << " descending " << descending << ")";
  return equal(argsort(tg, dim, descending), c.indices);
}

TEST(OrderGpu, SortMatchesCpuWithTiesNanAndViews) {
  SP_SKIP_WITHOUT_GPU();
  for (DType dt : {DType::F32, DType::F64, DType::F16, DType::BF16}) {
    for (const Shape& s :
         {Shape{0}, Shape{1}, Shape{7}, Shape{3, 0, 5}, Shape{5, 1}, Shape{4, 9, 3}}) {
      Tensor t = tied_values(s, dt, uint64_t(s.rank()) + 1);
      for (int64_t dim = -t.dim(); dim < t.dim(); ++dim)
        for (bool desc : {false, true}) EXPECT_TRUE(same_sort(t, dim, desc));
    }
    Tensor big = tied_values({3, 5001}, dt, 9, 50);  // long rows: multi-pass radix sort
    EXPECT_TRUE(same_sort(big, 1, false));
    EXPECT_TRUE(same_sort(big, 1, true));
    Pair bt = view_pair(big, [](const Tensor& x) { return x.t(); });
    EXPECT_TRUE(same_sort(bt.cpu, 0, true, bt.gpu));  // transposed view, sorted along its first dim
  }
  for (DType dt : {DType::I32, DType::I64, DType::U8, DType::Bool}) {
    Tensor t = abs(tied_values({6, 11}, DType::F64, 4, 5, false)).to(dt);
    for (bool desc : {false, true}) {
      EXPECT_TRUE(same_sort(t, 1, desc)) << dt;
      EXPECT_TRUE(same_sort(t, 0, desc)) << dt;
    }
  }
  Tensor neg = from_vector<int64_t>({5, -3, INT64_MIN, INT64_MAX, -3, 0});
  EXPECT_TRUE(same_sort(neg, 0, false));
  EXPECT_TRUE(same_sort(neg, 0, true));
  Tensor inf = from_vector<double>({INFINITY, NAN, -INFINITY, 0.0, -0.0, NAN, 1e308, -1e-308});
  EXPECT_TRUE(same_sort(inf.to(DType::F32), 0, false));
  EXPECT_TRUE(same_sort(inf, 0, true));
  // Stepped slice and a broadcast row (stride 0 along the sorted dim and across rows).
  Tensor base = tied_values({8, 30}, DType::F32, 5);
  Pair stepped = view_pair(base, [](const Tensor& x) { return x.slice(1, 1, 30, 3); });
  EXPECT_TRUE(same_sort(stepped.cpu, 1, false, stepped.gpu));
  EXPECT_TRUE(same_sort(stepped.cpu, 0, true, stepped.gpu));
  Pair rows = view_pair(base, [](const Tensor& x) { return x.narrow(0, 2, 1).expand({4, 30}); });
  EXPECT_TRUE(same_sort(rows.cpu, 1, true, rows.gpu));
  Pair cols = view_pair(base, [](const Tensor& x) { return x.narrow(1, 0, 1).expand({8, 6}); });
  EXPECT_TRUE(same_sort(cols.cpu, 1, false, cols.gpu));  // all ties
  EXPECT_TRUE(same_sort(scalar_tensor(2.5).to(DType::F32), 0, false));
}

TEST(OrderGpu, TopkMatchesCpu) {
  SP_SKIP_WITHOUT_GPU();
  Tensor t = tied_values({5, 13, 4}, DType::F32, 11);
  for (int64_t dim : {0, 1, 2, -1})
    for (int64_t k : {int64_t(0), int64_t(1), int64_t(3), t.size(dim)})
      for (bool largest : {true, false}) {
        if (k > t.size(dim)) continue;
        ValuesIndices g = topk(t.cuda(), k, dim, largest), c = topk(t, k, dim, largest);
        EXPECT_TRUE(equal(g.values, c.values))
            << "dim " << dim << " k " << k << " largest " << largest;
        EXPECT_TRUE(equal(g.indices, c.indices))
            << "dim " << dim << " k " << k << " largest " << largest;
      }
  // SuperPoint-like: top 1000 scores of a flattened 120x160 map per image.
  Tensor scores = distinct_values({3, 120 * 160}, DType::F32, 2);
  ValuesIndices g = topk(scores.cuda(), 1000, 1), c = topk(scores, 1000, 1);
  EXPECT_TRUE(equal(g.values, c.values));
  EXPECT_TRUE(equal(g.indices, c.indices));
  Pair tv = view_pair(t, [](const Tensor& x) {
    return x.permute({2, 0, 1});
  });  // non-contiguous input
  EXPECT_TRUE(equal(topk(tv.gpu, 2, 1, false).indices, topk(tv.cpu, 2, 1, false).indices));
  EXPECT_SP_ERROR(topk(t.cuda(), 6, 0), "topk: expected k in [0, 5]");
}

TEST(OrderGpu, NonzeroAndMaskedSelectMatchCpu) {
  SP_SKIP_WITHOUT_GPU();
  for (const Shape& s :
       {Shape{0}, Shape{1}, Shape{7}, Shape{3, 0, 2}, Shape{5, 9, 3}, Shape{1000, 333}}) {
    Tensor t = tied_values(s, DType::F32, uint64_t(numel(s)), 3, false);  // about a third zeros
    EXPECT_TRUE(equal(nonzero(t.cuda()), nonzero(t))) << s;
    Tensor mask = gt(t, 0.0);
    Tensor x = distinct_values(s, DType::F64, 4);
    EXPECT_TRUE(equal(masked_select(x.cuda(), mask.cuda()), masked_select(x, mask))) << s;
  }
  Tensor t = tied_values({6, 10}, DType::I64, 3, 3, false);
  Pair tt = view_pair(t, [](const Tensor& x) { return x.t(); });
  EXPECT_TRUE(equal(nonzero(tt.gpu), nonzero(tt.cpu)));  // transposed view
  EXPECT_TRUE(equal(nonzero(t.to(DType::Bool).cuda()), nonzero(t.to(DType::Bool))));
  EXPECT_TRUE(equal(nonzero(zeros({4, 4}).cuda()), zeros({0, 2}, DType::I64)));
  EXPECT_TRUE(equal(nonzero(scalar_tensor(3.0).cuda()), nonzero(scalar_tensor(3.0))));
  EXPECT_TRUE(equal(nonzero(scalar_tensor(0.0).cuda()), nonzero(scalar_tensor(0.0))));
  // Broadcasting: a [6, 1] mask against a [6, 10] input and a [10] input against the mask.
  Tensor x = distinct_values({6, 10}, DType::F32, 8);
  Tensor col = ne(tied_values({6, 1}, DType::F32, 1, 2, false), 0.0);
  EXPECT_TRUE(equal(masked_select(x.cuda(), col.cuda()), masked_select(x, col)));
  Tensor row = distinct_values({10}, DType::F32, 9);
  Tensor m = ne(t, 0.0);
  EXPECT_TRUE(equal(masked_select(row.cuda(), m.cuda()), masked_select(row, m)));
  Pair xt = view_pair(x, [](const Tensor&v) { return v.t(); }),
       mt = view_pair(m, [](const Tensor&v) { return v.t(); });
  EXPECT_TRUE(equal(masked_select(xt.gpu, mt.gpu), masked_select(xt.cpu, mt.cpu)));
  Pair xe = view_pair(row, [](const Tensor& v) { return v.expand({6, 10}); });  // stride-0 input
  EXPECT_TRUE(equal(masked_select(xe.gpu, m.cuda()), masked_select(xe.cpu, m)));
  EXPECT_SP_ERROR(masked_select(x.cuda(), m), "masked_select: expected tensors on the same device");
}

TEST(OrderGpu, OneHotMatchesCpu) {
  SP_SKIP_WITHOUT_GPU();
  for (DType it : {DType::I32, DType::I64}) {
    Tensor idx = abs(tied_values({7, 5}, DType::F64, 2, 6, false)).to(it);  // values in [0, 3]
    EXPECT_TRUE(equal(one_hot(idx.cuda()), one_hot(idx)));
    Pair it_ = view_pair(idx, [](const Tensor& x) { return x.t(); });
    EXPECT_TRUE(equal(one_hot(it_.gpu, 9), one_hot(it_.cpu, 9)));
    EXPECT_TRUE(equal(one_hot(zeros({0}, it).cuda(), 4), one_hot(zeros({0}, it), 4)));
    Pair rep = view_pair(idx, [](const Tensor& x) {
      return x.narrow(0, 0, 1).expand({3, 5});
    });  // stride 0
    EXPECT_TRUE(equal(one_hot(rep.gpu, 4), one_hot(rep.cpu, 4)));
  }
  Tensor idx = from_vector<int64_t>({0, 2, 5});
  EXPECT_TRUE(one_hot(idx.cuda(), 6).is_cuda());
  EXPECT_SP_ERROR(one_hot(idx.cuda(), 5), "one_hot: expected indices in [0, 5), got 5");
  EXPECT_SP_ERROR(one_hot(from_vector<int64_t>({-1}).cuda(), 3), "got -1");
}

TEST(OrderGpu, ReflectAndReplicatePadMatchCpu) {
  SP_SKIP_WITHOUT_GPU();
  for (PadMode mode : {PadMode::Reflect, PadMode::Replicate}) {
    for (DType dt : {DType::F32, DType::F64, DType::I64, DType::F16}) {
      Tensor x = distinct_values({2, 3, 5, 7}, dt, 1);
      for (const std::vector<int64_t>& pads : {std::vector<int64_t>{1, 2},
                                               {3, 0, 2, 4},
                                               {0, 0, 1, 1},
                                               {4, 4, 3, 2, 1, 1},
                                               {0, 4, 0, 0}}) {
        EXPECT_TRUE(equal(pad(x.cuda(), pads, mode), pad(x, pads, mode)))
            << dt << " pads " << pads.size();
        Pair xv = view_pair(
            x, [](const Tensor& v) { return v.transpose(2, 3); });  // [2, 3, 7, 5] strided
        EXPECT_TRUE(equal(pad(xv.gpu, pads, mode), pad(xv.cpu, pads, mode)));
      }
    }
    Tensor one = distinct_values({1, 1, 1, 1}, DType::F32, 3);
    if (mode == PadMode::Replicate) {
      EXPECT_TRUE(equal(pad(one.cuda(), {2, 3, 1, 0}, mode), pad(one, {2, 3, 1, 0}, mode)));
    }
    Pair b = view_pair(distinct_values({1, 1, 9}, DType::F32, 4), [](const Tensor& v) {
      return v.expand({2, 4, 9});
    });
    EXPECT_TRUE(equal(pad(b.gpu, {3, 3, 2, 1}, mode), pad(b.cpu, {3, 3, 2, 1}, mode)));
    Tensor big =
        distinct_values({2, 16, 120, 161}, DType::F32, 5);  // SuperPoint-sized map, odd width
    EXPECT_TRUE(equal(pad(big.cuda(), {4, 4, 4, 4}, mode), pad(big, {4, 4, 4, 4}, mode)));
    Tensor empty_batch = zeros({0, 3, 4, 4});
    EXPECT_EQ(pad(empty_batch.cuda(), {1, 1, 1, 1}, mode).shape(), (Shape{0, 3, 6, 6}));
  }
  EXPECT_SP_ERROR(pad(zeros({1, 2, 3}).cuda(), {3, 3}, PadMode::Reflect),
                  "pad: expected reflect pads smaller");
}

}  // namespace
}  // namespace sp
