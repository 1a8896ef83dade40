// CUDA reductions, arg-reductions, cumsum and softmax against host references on
// awkward shapes (empty, one element, odd, large rows, non-contiguous), f32 and f64.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>

#include "helpers/test_helpers.h"
#include "tensor/cuda/reduce.h"
#include "tensor/ops/creation.h"
#include "tensor/ops/elementwise.h"
#include "tensor/ops/random.h"
#include "tensor/ops/reduce.h"
#include "tensor/ops/softmax.h"

namespace sp {
namespace {

using cuda::ReduceOp;
using test::all_close;

Tensor values(const Shape& shape, DType dtype, uint64_t seed = 1) {
  return test::lcg_uniform(shape, seed, -2.0, 2.0, 3).to(dtype);
}

// Host reduction of the last dim of a [rows, R] double table.
Tensor host_rows(const Tensor& x, int dim,
                 const std::function<double(const std::vector<double>&)>& f) {
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
      {ReduceOp::Max,
       [](const std::vector<double>& v) { return *std::max_element(v.begin(), v.end()); }},
      {ReduceOp::Min,
       [](const std::vector<double>& v) { return *std::min_element(v.begin(), v.end()); }},
      {ReduceOp::Var,
       [](const std::vector<double>& v) {
         double m = sum(v) / double(v.size()), q = 0;
         for (double x : v) q += (x - m) * (x - m);
         return q / double(v.size() - 1);
       }},
      {ReduceOp::Norm,
       [](const std::vector<double>& v) {
         double q = 0;
         for (double x : v) q += x * x;
         return std::sqrt(q);
       }},
      {ReduceOp::LogSumExp, [](const std::vector<double>& v) {
         double s = 0;
         for (double x : v) s += std::exp(x);
         return std::log(s);
       }}};
  const std::vector<std::pair<Shape, int>> shapes = {{{1}, 0},     {{5, 1}, 1},    {{3, 7}, 1},
                                                     {{3, 7}, 0},  {{2, 5, 3}, 1}, {{4, 100003}, 1},
                                                     {{300, 3}, 0}};
  for (DType dt : {DType::F32, DType::F64}) {
    const double tol = dt == DType::F32 ? 1e-4 : 1e-10;
    for (const auto& [shape, dim] : shapes) {
      Tensor x = values(shape, dt);
      for (const auto& [op, ref] : ops) {
        if (op == ReduceOp::Var && shape[dim] == 1) continue;
        Tensor expected = host_rows(x, dim, ref);
        Tensor out = empty(expected.shape(), dt, cuda_device());
        cuda::reduce(op, out, x.cuda(), {dim},
                     op == ReduceOp::Norm  ? 2.0
                     : op == ReduceOp::Var ? 1.0
                                           : 0.0);
        // host_rows moves dim last, so compare through the same kept order.
        EXPECT_TRUE(all_close(out, expected, tol, tol))
            << int(op) << " " << dt << shape << " dim " << dim;
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
      for (int b = 0; b < 4; ++b)
        h[size_t(a * 20 + k * 4 + b)] += h[size_t(a * 20 + (k - 1) * 4 + b)];
  EXPECT_TRUE(all_close(out, from_vector(h, {3, 5, 4}), 1e-12, 1e-12));
}

TEST(ReduceGpu, SoftmaxAndBackwardMatchHost) {
  SP_SKIP_WITHOUT_GPU();
  for (DType dt : {DType::F32, DType::F64}) {
    const double tol = dt == DType::F32 ? 1e-5 : 1e-12;
    for (const auto& [shape, dim] : std::vector<std::pair<Shape, int>>{
             {{1}, 0}, {{3, 7}, 1}, {{3, 7}, 0}, {{2, 3000}, 1}, {{2, 0, 3}, 2}}) {
      Tensor x = values(shape, dt, 4);
      Tensor g = values(shape, dt, 5);
      Tensor out = empty(shape, dt, cuda_device()), lout = empty(shape, dt, cuda_device());
      cuda::softmax(out, x.cuda(), dim, false);
      cuda::softmax(lout, x.cuda(), dim, true);
      // Host: via the [.., R] layout with dim moved last.
      Tensor xt = x.transpose(dim, -1).contiguous();
      const int64_t R = xt.size(-1);
      std::vector<double> xv = xt.to_vector<double>(),
                          gv = g.transpose(dim, -1).contiguous().to_vector<double>();
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
      auto back = [&](const std::vector<double>& v) {
        return from_vector(v, xt.shape()).transpose(dim, -1);
      };
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

// Layouts the split kernels take: full reductions (several blocks per row and a second
// pass), reductions over strided dims (column blocks splitting R), and the public ops
// on them against the CPU.
TEST(ReduceGpu, FullReductionsOfLongTensorsMatchCpu) {
  SP_SKIP_WITHOUT_GPU();
  Generator gen(7);
  for (int64_t n : {int64_t(5800000), (int64_t(1) << 24) + 7}) {
    Tensor x = sub(mul(rand({n}, gen), 4.0), 1.0);  // [-1, 3): a mean far from 0
    Tensor g = x.cuda();
    EXPECT_TRUE(all_close(sum(g), sum(x), 1e-5, 1e-2)) << n;
    EXPECT_TRUE(test::equal(sum(g).cpu(), sum(g).cpu())) << "run to run";
    EXPECT_TRUE(all_close(mean(g), mean(x), 1e-5, 1e-6)) << n;
    EXPECT_TRUE(all_close(amax(g), amax(x), 0, 0)) << n;
    EXPECT_TRUE(all_close(amin(g), amin(x), 0, 0)) << n;
    EXPECT_TRUE(all_close(var(g), var(x), 1e-4, 1e-6)) << n;
    EXPECT_TRUE(all_close(norm(g, 2.0), norm(x, 2.0), 1e-5, 1e-3)) << n;
    EXPECT_TRUE(all_close(norm(g, 1.0), norm(x, 1.0), 1e-5, 1e-2)) << n;
    EXPECT_TRUE(all_close(logsumexp(g, {0}), logsumexp(x, {0}), 1e-5, 1e-5)) << n;
    EXPECT_TRUE(test::equal(argmax(g).cpu(), argmax(x))) << n;
    EXPECT_TRUE(test::equal(argmin(g).cpu(), argmin(x))) << n;
    EXPECT_TRUE(test::equal(any(gt(g, 2.9999)).cpu(), any(gt(x, 2.9999)))) << n;
    EXPECT_TRUE(test::equal(all(gt(g, -1.0)).cpu(), all(gt(x, -1.0)))) << n;
    // The direct kernel entry with the std variant.
    Tensor sd = empty({}, DType::F32, cuda_device());
    cuda::reduce(ReduceOp::Std, sd, g, {0}, 1.0);
    EXPECT_TRUE(all_close(sd, std_dev(x), 1e-4, 1e-6)) << n;
  }
  // Integers in int64, f16 in f32.
  Tensor i = randint(-1000, 1000, {5800001}, gen, DType::I32);
  EXPECT_TRUE(test::equal(sum(i.cuda()).cpu(), sum(i)));
  EXPECT_TRUE(test::equal(amax(i.cuda()).cpu(), amax(i)));
  Tensor h = rand({3000017}, gen).to(DType::F16);
  EXPECT_TRUE(all_close(mean(h.cuda()).to(DType::F32), mean(h).to(DType::F32), 2e-3, 0));
  EXPECT_TRUE(all_close(amax(h.cuda()), amax(h), 0, 0));
  // NaN anywhere in a long row wins, at its first position.
  Tensor r = rand({2, 1000003}, gen);
  r.select(0, 1).narrow(0, 777777, 1).fill_(NAN);
  r.select(0, 1).narrow(0, 900000, 1).fill_(NAN);
  EXPECT_TRUE(test::equal(argmax(r.cuda(), 1).cpu(), argmax(r, 1)));
  EXPECT_EQ(argmax(r.cuda(), 1).to_vector<int64_t>()[1], 777777);
  EXPECT_TRUE(std::isnan(amax(r.cuda()).item<float>()));
}

TEST(ReduceGpu, LongRowArgmaxAndSoftmaxMatchCpu) {
  SP_SKIP_WITHOUT_GPU();
  Generator gen(8);
  Tensor x = rand({3, 1000003}, gen);
  x.select(0, 0).narrow(0, 999999, 1).fill_(5.0);
  x.select(0, 0).narrow(0, 12, 1).fill_(5.0);  // a tie: the first occurrence
  x.select(0, 2).narrow(0, 500000, 1).fill_(-5.0);
  ValuesIndices mg = max(x.cuda(), 1), mc = max(x, 1);
  EXPECT_TRUE(test::equal(mg.indices.cpu(), mc.indices));
  EXPECT_EQ(mg.indices.to_vector<int64_t>()[0], 12);
  EXPECT_TRUE(all_close(mg.values, mc.values, 0, 0));
  EXPECT_TRUE(test::equal(argmin(x.cuda(), 1).cpu(), argmin(x, 1)));
  Tensor s = sub(mul(rand({2, 300007}, gen), 20.0), 10.0);
  EXPECT_TRUE(all_close(softmax(s.cuda(), 1), softmax(s, 1), 1e-4, 1e-9));
  EXPECT_TRUE(all_close(log_softmax(s.cuda(), 1), log_softmax(s, 1), 1e-5, 1e-4));
  // Softmax over a strided dim (NCHW over C): one thread per column.
  Tensor c = randn({4, 65, 30, 40}, gen);
  EXPECT_TRUE(all_close(softmax(c.cuda(), 1), softmax(c, 1), 1e-4, 1e-7));
  EXPECT_TRUE(all_close(log_softmax(c.cuda(), 1), log_softmax(c, 1), 1e-5, 1e-5));
}

TEST(ReduceGpu, StridedDimReductionsMatchCpu) {
  SP_SKIP_WITHOUT_GPU();
  Generator gen(9);
  // A bias gradient: NCHW over {0, 2, 3}, through the public ops and the kernel entry.
  Tensor x = randn({8, 64, 60, 80}, gen);
  Tensor g = x.cuda();
  EXPECT_TRUE(all_close(sum(g, {0, 2, 3}), sum(x, {0, 2, 3}), 1e-5, 1e-3));
  EXPECT_TRUE(all_close(mean(g, {0, 2, 3}, true), mean(x, {0, 2, 3}, true), 1e-5, 1e-6));
  EXPECT_TRUE(all_close(var(g, {0, 2, 3}), var(x, {0, 2, 3}), 1e-4, 1e-6));
  EXPECT_TRUE(all_close(amax(g, {0, 2, 3}), amax(x, {0, 2, 3}), 0, 0));
  Tensor out = empty({64}, DType::F32, cuda_device());
  for (ReduceOp op :
       {ReduceOp::Sum, ReduceOp::Mean, ReduceOp::Var, ReduceOp::Min, ReduceOp::Norm}) {
    cuda::reduce(op, out, g, {0, 2, 3}, op == ReduceOp::Var ? 1.0 : 2.0);
    Tensor expected = op == ReduceOp::Sum    ? sum(x, {0, 2, 3})
                      : op == ReduceOp::Mean ? mean(x, {0, 2, 3})
                      : op == ReduceOp::Var  ? var(x, {0, 2, 3})
                      : op == ReduceOp::Min  ? amin(x, {0, 2, 3})
                                             : norm(x, 2.0, {0, 2, 3});
    EXPECT_TRUE(all_close(out, expected, 1e-4, 1e-4)) << int(op);
  }
  // Over dim 0 of a tall, narrow table (3 outputs, R split across blocks).
  Tensor t = sub(rand({100000, 3}, gen), 0.25);
  Tensor tg = t.cuda();
  EXPECT_TRUE(all_close(sum(tg, {0}), sum(t, {0}), 2e-5, 1e-3));
  EXPECT_TRUE(test::equal(sum(tg, {0}).cpu(), sum(tg, {0}).cpu())) << "run to run";
  EXPECT_TRUE(all_close(mean(tg, {0}), mean(t, {0}), 1e-5, 1e-6));
  EXPECT_TRUE(all_close(var(tg, {0}), var(t, {0}), 1e-4, 1e-6));
  EXPECT_TRUE(all_close(norm(tg, 2.0, {0}), norm(t, 2.0, {0}), 1e-5, 1e-4));
  EXPECT_TRUE(all_close(logsumexp(tg, {0}), logsumexp(t, {0}), 1e-5, 1e-5));
  EXPECT_TRUE(all_close(amax(tg, {0}), amax(t, {0}), 0, 0));
  EXPECT_TRUE(test::equal(argmax(tg, 0).cpu(), argmax(t, 0)));
  EXPECT_TRUE(test::equal(argmin(tg, 0).cpu(), argmin(t, 0)));
  Tensor ti = randint(0, 3, {100000, 3}, gen, DType::I64);
  EXPECT_TRUE(test::equal(sum(ti.cuda(), {0}).cpu(), sum(ti, {0})));
  EXPECT_TRUE(test::equal(any(eq(ti.cuda(), 7), {0}).cpu(), any(eq(ti, 7), {0})));
  // mean over dim 1 of [64, 65, 30, 40] (inner 1200, coalesced columns) and a transposed view.
  Tensor m = randn({6, 65, 30, 40}, gen);
  EXPECT_TRUE(all_close(mean(m.cuda(), {1}), mean(m, {1}), 1e-5, 1e-6));
  EXPECT_TRUE(
      all_close(sum(m.cuda().transpose(1, 3), {3}), sum(m.transpose(1, 3), {3}), 1e-5, 1e-5));
  EXPECT_TRUE(all_close(cumsum(m.cuda(), 1), cumsum(m, 1), 1e-5, 1e-4));
}

}  // namespace
}  // namespace sp
