// CUDA reductions, arg-reductions, cumsum and softmax against host references on
// awkward shapes (empty, one element, odd, large rows, non-contiguous), f32 and f64.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>

#include "helpers/test_helpers.h"
#include "tensor/cuda/reduce.h"
#include "tensor/ops/creation.h"

namespace sp {
namespace {

using cuda::ReduceOp;
using test::all_close;

Tensor values(const Shape& shape, DType dtype, uint64_t seed = 1) {
  std::vector<double> v(size_t(numel(shape)));
  uint64_t s = seed * 0x9e3779b97f4a7c15ull + 3;
  for (auto& x : v) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    x = double(s >> 11) / double(1ull << 53) * 4 - 2;
  }
  return from_vector(v, shape).to(dtype);
}

// Host reduction of the last dim of a [rows, R] double table.
Tensor host_rows(const Tensor& x, int dim, const std::function<double(const std::vector<double>&)>& f) {
  Tensor t = x.transpose(dim, -1).contiguous().to(DType::F64);
  const int64_t R = t.size(-1), rows = R ? t.numel() / R : 0;
  std::vector<double> all = t.to_vector<double>(), out;
  Shape kept = t.shape();
  kept.erase(kept.rank() - 1);
  const int64_t nrows = numel(kept);
  for (int64_t r = 0; r < nrows; ++r) {
    std::vector<double> row(all.begin() + r * R, all.begin() + (r + 1) * R);
    out.push_back(f(row));
  }
  (void)rows;
  return from_vector(out, kept);
}

double sum(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return s;
}

TEST(ReduceGpu, RowReductionsMatchHost) {
  SP_SKIP_WITHOUT_GPU();
  const std::vector<std::pair<ReduceOp, std::function<double(const std::vector<double>&)>>> ops = {
      {ReduceOp::Sum, sum},
      {ReduceOp::Mean, [](const std::vector<double>& v) { return sum(v) / double(v.size()); }},
      {ReduceOp::Max, [](const std::vector<double>& v) { return *std::max_element(v.begin(), v.end()); }},
      {ReduceOp::Min, [](const std::vector<double>& v) { return *std::min_element(v.begin(), v.end()); }},
      {ReduceOp::Var,
       [](const std::vector<double>& v) {
         double m = sum(v) / double(v.size()), q = 0;
         for (double x : v) q += (x - m) * (x - m);
         return q / double(v.size() - 1);
       }},
      {ReduceOp::Norm, [](const std::vector<double>& v) {
         double q = 0;
         for (double x : v) q += x * x;
         return std::sqrt(q);
       }},
      {ReduceOp::LogSumExp, [](const std::vector<double>& v) {
         double s = 0;
         for (double x : v) s += std::exp(x);
         return std::log(s);
       }}};
  const std::vector<std::pair<Shape, int>> shapes = {{{1}, 0}, {{5, 1}, 1}, {{3, 7}, 1}, {{3, 7}, 0},
                                                     {{2, 5, 3}, 1}, {{4, 100003}, 1}, {{300, 3}, 0}};
  for (DType dt : {DType::F32, DType::F64}) {
    const double tol = dt == DType::F32 ? 1e-4 : 1e-10;
    for (const auto& [shape, dim] : shapes) {
      Tensor x = values(shape, dt);
      for (const auto& [op, ref] : ops) {
        if (op == ReduceOp::Var && shape[dim] == 1) continue;
        Tensor expected = host_rows(x, dim, ref);
        Tensor out = empty(expected.shape(), dt, cuda_device());
        cuda::reduce(op, out, x.cuda(), {dim}, op == ReduceOp::Norm ? 2.0 : op == ReduceOp::Var ? 1.0 : 0.0);
        // host_rows moves dim last, so compare through the same kept order.
        EXPECT_TRUE(all_close(out, expected, tol, tol)) << int(op) << " " << dt << shape << " dim " << dim;
      }
    }
  }
}

TEST(ReduceGpu, MultiDimNonContiguousEmptyAndIntegers) {
  SP_SKIP_WITHOUT_GPU();
  Tensor x = values({4, 6, 5}, DType::F64, 2);
  Tensor g = x.cuda().permute({2, 0, 1});  // [5, 4, 6] strided
  Tensor out = empty({4}, DType::F64, cuda_device());
  cuda::reduce(ReduceOp::Sum, out, g, {0, 2});
  Tensor expected = host_rows(x.reshape({4, 30}), 1, sum);  // kept dim: x's dim 0
  EXPECT_TRUE(all_close(out, expected, 1e-12, 1e-12));
  // Empty reductions give the identity (sum 0, prod 1, mean NaN); max of nothing is an error.
  Tensor e = zeros({3, 0}, DType::F32, cuda_device());
  Tensor s = empty({3}, DType::F32, cuda_device());
  cuda::reduce(ReduceOp::Sum, s, e, {1});
  EXPECT_EQ(s.to_vector<float>(), (std::vector<float>{0, 0, 0}));
  cuda::reduce(ReduceOp::Prod, s, e, {1});
  EXPECT_EQ(s.to_vector<float>(), (std::vector<float>{1, 1, 1}));
  EXPECT_SP_ERROR(cuda::reduce(ReduceOp::Max, s, e, {1}), "non-empty");
  // Integers sum in int64; any/all into bool.
  Tensor i = from_vector<int32_t>({2000000000, 2000000000, -1, 0, 5, 0}, {2, 3});
  Tensor si = empty({2}, DType::I64, cuda_device());
  cuda::reduce(ReduceOp::Sum, si, i.cuda(), {1});
  EXPECT_EQ(si.to_vector<int64_t>(), (std::vector<int64_t>{3999999999ll, 5}));
  Tensor b = empty({2}, DType::Bool, cuda_device());
  cuda::reduce(ReduceOp::All, b, i.cuda(), {1});
  EXPECT_EQ(b.to_vector<bool>(), (std::vector<bool>{1, 0}));
  cuda::reduce(ReduceOp::Any, b, i.cuda(), {1});
  EXPECT_EQ(b.to_vector<bool>(), (std::vector<bool>{1, 1}));
  // NaN propagates through max.
  Tensor n = from_vector<float>({1, NAN, 3, 0});
  Tensor m = empty({}, DType::F32, cuda_device());
  cuda::reduce(ReduceOp::Max, m, n.cuda(), {0});
  EXPECT_TRUE(std::isnan(m.item<float>()));
}

TEST(ReduceGpu, ArgMaxMinFirstOccurrenceAndCumsum) {
  SP_SKIP_WITHOUT_GPU();
  Tensor x = from_vector<float>({1, 5, 5, 0, -2, 7, 7, -2, 3, 3, 3, 3}, {3, 4});
  Tensor v = empty({3}, DType::F32, cuda_device()), i = empty({3}, DType::I64, cuda_device());
  cuda::arg_reduce(true, v, i, x.cuda(), 1);
  EXPECT_EQ(i.to_vector<int64_t>(), (std::vector<int64_t>{1, 1, 0}));
  EXPECT_EQ(v.to_vector<float>(), (std::vector<float>{5, 7, 3}));
  cuda::arg_reduce(false, Tensor(), i, x.cuda(), 1);
  EXPECT_EQ(i.to_vector<int64_t>(), (std::vector<int64_t>{3, 0, 0}));
  // A long row (several warps) with the maximum repeated near both ends.
  std::vector<float> big(5000, 0.f);
  big[4321] = 9, big[17] = 9, big[3000] = -9;
  Tensor i1 = empty({}, DType::I64, cuda_device());
  cuda::arg_reduce(true, Tensor(), i1, from_vector(big).cuda(), 0);
  EXPECT_EQ(i1.item<int64_t>(), 17);
  cuda::arg_reduce(false, Tensor(), i1, from_vector(big).cuda(), 0);
  EXPECT_EQ(i1.item<int64_t>(), 3000);

  Tensor c = values({3, 5, 4}, DType::F64, 3);
  Tensor out = empty({3, 5, 4}, DType::F64, cuda_device());
  cuda::cumsum(out, c.cuda(), 1);
  std::vector<double> h = c.to_vector<double>();
  for (int a = 0; a < 3; ++a)
    for (int k = 1; k < 5; ++k)
      for (int b = 0; b < 4; ++b) h[size_t(a * 20 + k * 4 + b)] += h[size_t(a * 20 + (k - 1) * 4 + b)];
  EXPECT_TRUE(all_close(out, from_vector(h, {3, 5, 4}), 1e-12, 1e-12));
}

TEST(ReduceGpu, SoftmaxAndBackwardMatchHost) {
  SP_SKIP_WITHOUT_GPU();
  for (DType dt : {DType::F32, DType::F64}) {
    const double tol = dt == DType::F32 ? 1e-5 : 1e-12;
    for (const auto& [shape, dim] : std::vector<std::pair<Shape, int>>{{{1}, 0}, {{3, 7}, 1}, {{3, 7}, 0},
                                                                       {{2, 3000}, 1}, {{2, 0, 3}, 2}}) {
      Tensor x = values(shape, dt, 4);
      Tensor g = values(shape, dt, 5);
      Tensor out = empty(shape, dt, cuda_device()), lout = empty(shape, dt, cuda_device());
      cuda::softmax(out, x.cuda(), dim, false);
      cuda::softmax(lout, x.cuda(), dim, true);
      // Host: via the [.., R] layout with dim moved last.
      Tensor xt = x.transpose(dim, -1).contiguous();
      const int64_t R = xt.size(-1);
      std::vector<double> xv = xt.to_vector<double>(), gv = g.transpose(dim, -1).contiguous().to_vector<double>();
      std::vector<double> sm(xv.size()), lsm(xv.size()), gs(xv.size()), gl(xv.size());
      for (size_t r = 0; R > 0 && r < xv.size() / size_t(R); ++r) {
        double m = -INFINITY, s = 0, dot = 0, gsum = 0;
        for (int64_t j = 0; j < R; ++j) m = std::max(m, xv[r * R + j]);
        for (int64_t j = 0; j < R; ++j) s += std::exp(xv[r * R + j] - m);
        for (int64_t j = 0; j < R; ++j) {
          sm[r * R + j] = std::exp(xv[r * R + j] - m) / s;
          lsm[r * R + j] = xv[r * R + j] - m - std::log(s);
          dot += gv[r * R + j] * sm[r * R + j];
          gsum += gv[r * R + j];
        }
        for (int64_t j = 0; j < R; ++j) {
          gs[r * R + j] = sm[r * R + j] * (gv[r * R + j] - dot);
          gl[r * R + j] = gv[r * R + j] - sm[r * R + j] * gsum;
        }
      }
      auto back = [&](const std::vector<double>& v) { return from_vector(v, xt.shape()).transpose(dim, -1); };
      EXPECT_TRUE(all_close(out, back(sm), tol, tol)) << dt << shape;
      EXPECT_TRUE(all_close(lout, back(lsm), tol, tol)) << dt << shape;
      Tensor gi = empty(shape, dt, cuda_device());
      cuda::softmax_backward(gi, g.cuda(), out, dim, false);
      EXPECT_TRUE(all_close(gi, back(gs), tol, tol)) << dt << shape;
      cuda::softmax_backward(gi, g.cuda(), lout, dim, true);
      EXPECT_TRUE(all_close(gi, back(gl), tol, tol)) << dt << shape;
    }
  }
}

}  // namespace
}  // namespace sp
