// Fused bias+ReLU and batch-norm(+ReLU) inference kernels against host arithmetic.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>

#include "helpers/test_helpers.h"
#include "tensor/cuda/fused.h"
#include "tensor/ops/creation.h"

namespace sp {
namespace {

using test::all_close;

Tensor values(const Shape& shape, DType dtype, uint64_t seed, double lo = -2, double hi = 2) {
  return test::lcg_uniform(shape, seed, lo, hi, 13).to(dtype);
}

// Host: x[n, c, i] mapped per channel by f(value, c).
Tensor host_channels(const Tensor& x, const std::function<double(double, int64_t)>& f) {
  std::vector<double> v = x.to_vector<double>();
  if (v.empty()) return from_vector(v, x.shape());
  const int64_t C = x.size(1), inner = x.numel() / (x.size(0) * C);
  for (size_t i = 0; i < v.size(); ++i) v[i] = f(v[i], (int64_t(i) / inner) % C);
  return from_vector(v, x.shape());
}

TEST(FusedGpu, BiasReluAndBatchNormMatchHost) {
  SP_SKIP_WITHOUT_GPU();
  for (DType dt : {DType::F32, DType::F64}) {
    const double tol = dt == DType::F32 ? 1e-5 : 1e-12;
    for (const Shape& shape :
         std::vector<Shape>{{2, 3, 5, 7}, {1, 1, 1, 1}, {0, 4, 2, 2}, {3, 65, 33}}) {
      Tensor x = values(shape, dt, 1);
      const int64_t C = shape[1];
      Tensor b = values({C}, dt, 2), w = values({C}, dt, 3), m = values({C}, dt, 4),
             v = values({C}, dt, 5, 0.1, 2);
      std::vector<double> hb = b.to_vector<double>(), hw = w.to_vector<double>(),
                          hm = m.to_vector<double>(), hv = v.to_vector<double>();
      Tensor out = empty(shape, dt, cuda_device());
      cuda::bias_relu(out, x.cuda(), b.cuda());
      EXPECT_TRUE(all_close(
          out, host_channels(x, [&](double a, int64_t c) { return std::max(0.0, a + hb[c]); }), tol,
          tol));
      cuda::batch_norm_inference(out, x.cuda(), m.cuda(), v.cuda(), w.cuda(), b.cuda(), 1e-5, true);
      auto bn = [&](double a, int64_t c) {
        return (a - hm[c]) / std::sqrt(hv[c] + 1e-5) * hw[c] + hb[c];
      };
      EXPECT_TRUE(all_close(
          out, host_channels(x, [&](double a, int64_t c) { return std::max(0.0, bn(a, c)); }), tol,
          tol));
      cuda::batch_norm_inference(out, x.cuda(), m.cuda(), v.cuda(), Tensor(), Tensor(), 1e-3,
                                 false);
      EXPECT_TRUE(all_close(
          out,
          host_channels(x,
                        [&](double a, int64_t c) { return (a - hm[c]) / std::sqrt(hv[c] + 1e-3); }),
          tol, tol));
    }
  }
  // In place on a strided (channel-sliced) view.
  Tensor x = values({2, 6, 4, 4}, DType::F32, 6);
  Tensor g = x.cuda();
  Tensor view = g.slice(1, 0, 6, 2);
  Tensor b = values({3}, DType::F32, 7);
  cuda::bias_relu(view, view, b.cuda(), false);
  std::vector<double> hb = b.to_vector<double>();
  Tensor expected = x.clone();
  Tensor ev = expected.slice(1, 0, 6, 2);
  ev.copy_(host_channels(ev, [&](double a, int64_t c) { return a + hb[c]; }));
  EXPECT_TRUE(all_close(g, expected, 1e-6, 1e-6));
  EXPECT_SP_ERROR(cuda::bias_relu(view, view, values({4}, DType::F32, 8).cuda()),
                  "expected parameter of shape [3]");
}

}  // namespace
}  // namespace sp
