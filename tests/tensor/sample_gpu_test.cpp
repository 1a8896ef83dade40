// CUDA grid_sample and interpolate (forward and backward) against the CPU kernels on
// odd sizes, points outside the image, both align_corners settings, f32 and f64.
#include <gtest/gtest.h>

#include "helpers/test_helpers.h"
#include "tensor/ops/creation.h"
#include "tensor/ops/sample.h"

namespace sp {
namespace {

using test::all_close;

Tensor values(const Shape& shape, DType dtype, uint64_t seed, double lo = -1, double hi = 1) {
  return test::lcg_uniform(shape, seed, lo, hi, 17).to(dtype);
}

TEST(SampleGpu, GridSampleForwardAndBackwardMatchCpu) {
  SP_SKIP_WITHOUT_GPU();
  for (DType dt : {DType::F32, DType::F64}) {
    const double tol = dt == DType::F32 ? 1e-5 : 1e-12;
    for (bool align : {false, true}) {
      for (const auto& [in_shape, gh, gw] :
           std::vector<std::tuple<Shape, int64_t, int64_t>>{{{1, 1, 1, 1}, 1, 1},
                                                            {{2, 3, 7, 9}, 5, 4},
                                                            {{1, 65, 30, 40}, 1, 333},
                                                            {{3, 2, 4, 4}, 0, 3}}) {
        Tensor x = values(in_shape, dt, 1);
        Tensor grid = values({in_shape[0], gh, gw, 2}, dt, 2, -1.2, 1.2);  // some points outside
        Tensor y = grid_sample(x, grid, align);
        EXPECT_TRUE(all_close(grid_sample(x.cuda(), grid.cuda(), align), y, tol, tol))
            << dt << in_shape;
        Tensor g = values(y.shape(), dt, 3);
        EXPECT_TRUE(all_close(grid_sample_backward_input(g.cuda(), grid.cuda(), in_shape, align),
                              grid_sample_backward_input(g, grid, in_shape, align), tol, tol))
            << dt << in_shape;
        EXPECT_TRUE(all_close(grid_sample_backward_grid(g.cuda(), x.cuda(), grid.cuda(), align),
                              grid_sample_backward_grid(g, x, grid, align), tol * 10, tol * 10))
            << dt << in_shape;
      }
    }
  }
}

TEST(SampleGpu, InterpolateForwardAndBackwardMatchCpu) {
  SP_SKIP_WITHOUT_GPU();
  for (DType dt : {DType::F32, DType::F64}) {
    const double tol = dt == DType::F32 ? 1e-5 : 1e-12;
    Tensor x = values({2, 3, 7, 10}, dt, 4);
    for (const auto& [oh, ow] :
         std::vector<std::pair<int64_t, int64_t>>{{7, 10}, {14, 20}, {5, 3}, {1, 1}, {31, 17}}) {
      EXPECT_TRUE(all_close(interpolate(x.cuda(), oh, ow, InterpMode::Nearest),
                            interpolate(x, oh, ow, InterpMode::Nearest), 0, 0));
      for (bool align : {false, true}) {
        Tensor y = interpolate(x, oh, ow, InterpMode::Bilinear, align);
        EXPECT_TRUE(
            all_close(interpolate(x.cuda(), oh, ow, InterpMode::Bilinear, align), y, tol, tol))
            << oh << "x" << ow;
        Tensor g = values(y.shape(), dt, 5);
        EXPECT_TRUE(all_close(interpolate_bilinear_backward(g.cuda(), x.shape(), align),
                              interpolate_bilinear_backward(g, x.shape(), align), tol, tol))
            << oh << "x" << ow;
      }
    }
    for (double scale : {0.5, 1.5, 8.0}) {
      EXPECT_TRUE(all_close(interpolate_scaled(x.cuda(), scale, scale, InterpMode::Bilinear),
                            interpolate_scaled(x, scale, scale, InterpMode::Bilinear), tol, tol));
      EXPECT_TRUE(all_close(interpolate_scaled(x.cuda(), scale, scale, InterpMode::Nearest),
                            interpolate_scaled(x, scale, scale, InterpMode::Nearest), 0, 0));
    }
  }
  // Half storage computes in f32 like the CPU (the GPU fuses multiply-adds: one f16 ulp).
  Tensor h = values({1, 2, 5, 6}, DType::F16, 6);
  EXPECT_TRUE(all_close(interpolate(h.cuda(), 9, 11, InterpMode::Bilinear),
                        interpolate(h, 9, 11, InterpMode::Bilinear), 1e-3, 1e-3));
}

TEST(SampleGpu, HomographyGridMatchesCpu) {
  SP_SKIP_WITHOUT_GPU();
  // Perspective homographies over a 37x53 grid (not a multiple of the block size).
  Tensor hs = from_vector<double>({0.9, 0.2, 1.5, -0.1, 1.1, 0.5, 0.001, -0.002, 1.2,  //
                                   1.0, 0.0, 3.0, 0.0, 1.0, -2.0, 0.0, 0.0, 1.0},
                                  Shape{2, 3, 3});
  for (bool normalized : {false, true})
    for (DType dt : {DType::F32, DType::F64}) {
      Tensor cpu = homography_grid(hs, 37, 53, normalized, dt);
      Tensor gpu = homography_grid(hs.cuda(), 37, 53, normalized, dt);
      EXPECT_TRUE(gpu.is_cuda());
      EXPECT_TRUE(all_close(gpu.cpu(), cpu, dt == DType::F32 ? 1e-6 : 1e-12, 1e-6))
          << normalized << dt;
    }
}

}  // namespace
}  // namespace sp
