// The public elementwise, reduction and softmax ops on CUDA tensors against the same ops
// on the CPU (same promotion rules, only the kernel differs): broadcasting, scalars,
// strided views, f32 and f64.
#include <gtest/gtest.h>

#include <cmath>

#include "helpers/test_helpers.h"
#include "tensor/ops/creation.h"
#include "tensor/ops/elementwise.h"
#include "tensor/ops/reduce.h"
#include "tensor/ops/softmax.h"

namespace sp {
namespace {

using test::all_close;

Tensor values(const Shape& shape, DType dtype, uint64_t seed, double lo = -2, double hi = 2) {
  return test::lcg_uniform(shape, seed, lo, hi, 29).to(dtype);
}

TEST(OpsGpu, ElementwiseOpsMatchCpu) {
  SP_SKIP_WITHOUT_GPU();
  for (DType dt : {DType::F32, DType::F64}) {
    const double tol = dt == DType::F32 ? 2e-6 : 1e-12;
    Tensor a = values({4, 1, 7}, dt, 1), b = values({3, 1}, dt, 2, 0.5, 2),
           c = values({7, 3, 4}, dt, 3);
    Tensor ag = a.cuda(), bg = b.cuda(), cg = c.cuda().permute({2, 1, 0});
    Tensor cv = c.permute({2, 1, 0});
    EXPECT_TRUE(all_close(add(ag, bg, 2), add(a, b, 2), tol, tol));
    EXPECT_TRUE(all_close(mul(ag, cg), mul(a, cv), tol, tol));
    EXPECT_TRUE(all_close(div(cg, bg), div(cv, b), tol, tol));
    EXPECT_TRUE(all_close(div(2.0, bg), div(2.0, b), tol, tol));
    EXPECT_TRUE(all_close(sub(1.5, ag), sub(1.5, a), tol, tol));
    EXPECT_TRUE(all_close(pow(bg, 2.5), pow(b, 2.5), tol, tol));
    EXPECT_TRUE(all_close(maximum(ag, cg), maximum(a, cv), 0, 0));
    EXPECT_TRUE(all_close(lt(ag, bg), lt(a, b), 0, 0));
    EXPECT_TRUE(all_close(where(gt(ag, 0.0), ag, bg), where(gt(a, 0.0), a, b), 0, 0));
    EXPECT_TRUE(all_close(clamp(cg, -0.5, 1.0), clamp(cv, -0.5, 1.0), 0, 0));
    for (auto f :
         {+[](const Tensor& x) { return exp(x); }, +[](const Tensor& x) { return sigmoid(x); },
          +[](const Tensor& x) { return tanh(x); }, +[](const Tensor& x) { return relu(x); },
          +[](const Tensor& x) { return leaky_relu(x, 0.2); },
          +[](const Tensor& x) { return round(x); }, +[](const Tensor& x) { return sign(x); },
          +[](const Tensor& x) { return isfinite(x); }})
      EXPECT_TRUE(all_close(f(cg), f(cv), tol, tol));
    EXPECT_TRUE(all_close(sqrt(bg), sqrt(b), tol, tol));
    Tensor inplace = cg.clone();
    add_(inplace, bg.squeeze(1).slice(0, 0, 3).unsqueeze(1), 0.5);
    Tensor host = cv.clone();
    add_(host, b.squeeze(1).unsqueeze(1), 0.5);
    EXPECT_TRUE(all_close(inplace, host, tol, tol));
  }
  // Integer inputs promote like the CPU (i64 / 2 -> f32, i64 * 2 stays i64).
  Tensor i = from_vector<int64_t>({-3, 4, 7});
  EXPECT_TRUE(test::equal(div(i.cuda(), 2).cpu(), div(i, 2)));
  EXPECT_TRUE(test::equal(mul(i.cuda(), 2).cpu(), mul(i, 2)));
}

TEST(OpsGpu, ReductionsAndSoftmaxMatchCpu) {
  SP_SKIP_WITHOUT_GPU();
  for (DType dt : {DType::F32, DType::F64}) {
    const double tol = dt == DType::F32 ? 1e-5 : 1e-11;
    Tensor x = values({5, 6, 70}, dt, 4);
    Tensor xg = x.cuda();
    Tensor xt = x.transpose(0, 2), xtg = xg.transpose(0, 2);
    for (const DimList& dims : std::vector<DimList>{{}, {0}, {2}, {0, 2}, {-1}}) {
      EXPECT_TRUE(all_close(sum(xtg, dims), sum(xt, dims), tol, tol));
      EXPECT_TRUE(all_close(mean(xg, dims, true), mean(x, dims, true), tol, tol));
      EXPECT_TRUE(all_close(amax(xtg, dims), amax(xt, dims), 0, 0));
      EXPECT_TRUE(all_close(var(xg, dims), var(x, dims), tol, tol));
      EXPECT_TRUE(all_close(norm(xg, 2.0, dims), norm(x, 2.0, dims), tol, tol));
      EXPECT_TRUE(all_close(prod(xg, dims.empty() ? DimList{1} : dims),
                            prod(x, dims.empty() ? DimList{1} : dims), tol * 100, tol));
    }
    EXPECT_TRUE(all_close(logsumexp(xg, {1}), logsumexp(x, {1}), tol, tol));
    EXPECT_TRUE(all_close(norm(xg, INFINITY, {2}), norm(x, INFINITY, {2}), 0, 0));
    EXPECT_TRUE(all_close(norm(xg, 0.0, {2}), norm(x, 0.0, {2}), 0, 0));
    ValuesIndices mg = max(xtg, 1), mc = max(xt, 1);
    EXPECT_TRUE(all_close(mg.values, mc.values, 0, 0));
    EXPECT_TRUE(all_close(mg.indices, mc.indices, 0, 0));
    EXPECT_TRUE(all_close(argmin(xg), argmin(x), 0, 0));
    EXPECT_TRUE(all_close(cumsum(xtg, 1), cumsum(xt, 1), tol, tol));
    EXPECT_TRUE(all_close(softmax(xtg, 0), softmax(xt, 0), tol, tol));
    EXPECT_TRUE(all_close(log_softmax(xg, -1), log_softmax(x, -1), tol, tol));
    EXPECT_TRUE(all_close(any(gt(xg, 1.9), {2}), any(gt(x, 1.9), {2}), 0, 0));
  }
  Tensor i = from_vector<int32_t>({1, 2, 3, 4, 5, 6}, {2, 3});
  EXPECT_TRUE(test::equal(sum(i.cuda(), {1}).cpu(), sum(i, {1})));
  EXPECT_TRUE(test::equal(cumsum(i.cuda(), 0).cpu(), cumsum(i, 0)));
}

}  // namespace
}  // namespace sp
