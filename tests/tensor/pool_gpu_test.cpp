// CUDA max/avg pooling (forward and backward) against the CPU kernels: odd sizes,
// padding, dilation, ceil_mode, overlapping windows, f32 and f64.
#include <gtest/gtest.h>

#include "helpers/test_helpers.h"
#include "tensor/ops/creation.h"
#include "tensor/ops/pool.h"

namespace sp {
namespace {

using test::all_close;

Tensor values(const Shape& shape, DType dtype, uint64_t seed) {
  std::vector<double> v(size_t(numel(shape)));
  uint64_t s = seed * 0x9e3779b97f4a7c15ull + 19;
  for (auto& x : v) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    x = double((s >> 11) % 64) / 16.0 - 2.0;  // coarse values: ties in the max windows
  }
  return from_vector(v, shape).to(dtype);
}

TEST(PoolGpu, MaxAndAvgPoolingMatchCpu) {
  SP_SKIP_WITHOUT_GPU();
  std::vector<Pool2dArgs> cases(5);
  cases[1].kernel = {3, 3}, cases[1].stride = {1, 1}, cases[1].padding = {1, 1};
  cases[2].kernel = {9, 9}, cases[2].stride = {1, 1},
  cases[2].padding = {4, 4};  // SuperPoint's NMS window
  cases[3].kernel = {3, 2}, cases[3].stride = {2, 2}, cases[3].padding = {1, 1},
  cases[3].ceil_mode = true, cases[3].count_include_pad = false;
  cases[4].kernel = {2, 2}, cases[4].dilation = {2, 1}, cases[4].stride = {1, 1};
  for (DType dt : {DType::F32, DType::F64}) {
    const double tol = dt == DType::F32 ? 1e-5 : 1e-12;
    for (const Shape& shape :
         std::vector<Shape>{{2, 3, 9, 11}, {1, 1, 4, 4}, {3, 13, 17}, {0, 2, 6, 6}}) {
      Tensor x = values(shape, dt, 1);
      for (size_t c = 0; c < cases.size(); ++c) {
        const Pool2dArgs& a = cases[c];
        MaxPool2dResult cpu = max_pool2d(x, a), gpu = max_pool2d(x.cuda(), a);
        EXPECT_TRUE(all_close(gpu.values, cpu.values, 0, 0)) << dt << shape << " case " << c;
        EXPECT_TRUE(all_close(gpu.indices, cpu.indices, 0, 0)) << dt << shape << " case " << c;
        EXPECT_TRUE(
            all_close(max_pool2d(x.cuda(), a, /*with_indices=*/false).values, cpu.values, 0, 0));
        Tensor g = values(cpu.values.shape(), dt, 2);
        EXPECT_TRUE(all_close(max_pool2d_backward(g.cuda(), gpu.indices, shape),
                              max_pool2d_backward(g, cpu.indices, shape), tol, tol))
            << dt << shape << " case " << c;
        if (a.dilation[0] != 1) continue;  // avg pooling has no dilation
        Tensor y = avg_pool2d(x, a);
        EXPECT_TRUE(all_close(avg_pool2d(x.cuda(), a), y, tol, tol))
            << dt << shape << " case " << c;
        EXPECT_TRUE(all_close(avg_pool2d_backward(g.cuda(), shape, a),
                              avg_pool2d_backward(g, shape, a), tol, tol))
            << dt << shape << " case " << c;
      }
    }
  }
}

}  // namespace
}  // namespace sp
