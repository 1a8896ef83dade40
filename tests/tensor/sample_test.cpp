#include "tensor/ops/sample.h"

#include <gtest/gtest.h>

#include "helpers/test_helpers.h"
#include "tensor/ops/creation.h"

namespace sp {
namespace {

using test::all_close;

class SampleFixture : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ref_ = new std::map<std::string, Tensor>(test::load_fixture("sample.h5"));
  }
  static void TearDownTestSuite() { delete ref_; }
  const Tensor& ref(const std::string& k) { return ref_->at(k); }
  static std::map<std::string, Tensor>* ref_;
};
std::map<std::string, Tensor>* SampleFixture::ref_ = nullptr;

TEST_F(SampleFixture, GridSampleForwardAndBackwardMatchPyTorch) {
  const Tensor& x = ref("x");
  const Tensor& grid = ref("grid");
  for (bool ac : {true, false}) {
    const std::string tag = ac ? "gs_ac" : "gs_nac";
    SCOPED_TRACE(tag);
    EXPECT_TRUE(all_close(grid_sample(x, grid, ac), ref(tag), 1e-5, 1e-5));
    const Tensor& gout = ref(tag + "_gout");
    EXPECT_TRUE(all_close(grid_sample_backward_input(gout, grid, x.shape(), ac),
                          ref(tag + "_dinput"), 1e-5, 1e-5));
    EXPECT_TRUE(
        all_close(grid_sample_backward_grid(gout, x, grid, ac), ref(tag + "_dgrid"), 1e-5, 1e-5));
  }
  EXPECT_TRUE(all_close(grid_sample(x.transpose(2, 3), grid, false), ref("gs_t"), 1e-5, 1e-5));
  // f64 agrees with the f32 reference.
  EXPECT_TRUE(all_close(grid_sample(x.to(DType::F64), grid.to(DType::F64), true), ref("gs_ac"),
                        1e-5, 1e-5));
}

TEST_F(SampleFixture, InterpolateMatchesPyTorch) {
  const Tensor& x = ref("x");
  const std::vector<std::pair<std::string, Shape>> sizes = {
      {"up2", {10, 14}}, {"down", {3, 4}}, {"odd", {8, 11}}, {"one", {1, 1}}};
  for (const auto& [name, size] : sizes) {
    SCOPED_TRACE(name);
    EXPECT_TRUE(all_close(interpolate(x, size[0], size[1], InterpMode::Nearest),
                          ref("nearest_" + name), 0, 0));
    for (bool ac : {true, false}) {
      const std::string tag = "bilinear_" + name + (ac ? "_ac" : "_nac");
      EXPECT_TRUE(all_close(interpolate(x, size[0], size[1], InterpMode::Bilinear, ac), ref(tag),
                            1e-5, 1e-5));
      EXPECT_TRUE(all_close(interpolate_bilinear_backward(ref(tag + "_gout"), x.shape(), ac),
                            ref(tag + "_dinput"), 1e-5, 1e-5));
    }
  }
  EXPECT_TRUE(
      all_close(interpolate_scaled(x, 1.7, 0.6, InterpMode::Nearest), ref("nearest_scale"), 0, 0));
  EXPECT_TRUE(all_close(interpolate_scaled(x, 1.7, 0.6, InterpMode::Bilinear),
                        ref("bilinear_scale"), 1e-5, 1e-5));
  EXPECT_TRUE(all_close(interpolate(x.transpose(2, 3), 9, 4, InterpMode::Bilinear),
                        ref("bilinear_t"), 1e-5, 1e-5));
}

TEST(Sample, SizeZeroAndErrors) {
  Tensor x = zeros({0, 3, 4, 4});
  EXPECT_EQ(grid_sample(x, zeros({0, 2, 2, 2}), true).shape(), (Shape{0, 3, 2, 2}));
  EXPECT_EQ(interpolate(zeros({2, 0, 4, 4}), 8, 8, InterpMode::Bilinear).shape(),
            (Shape{2, 0, 8, 8}));
  Tensor img = ones({1, 2, 4, 4});
  EXPECT_SP_ERROR(grid_sample(img, zeros({1, 3, 3, 3}), true),
                  "expected grid of shape [1, Hout, Wout, 2], got [1, 3, 3, 3]");
  EXPECT_SP_ERROR(grid_sample(img, zeros({1, 3, 3, 2}, DType::F64), true),
                  "one dtype, got f32 and f64");
  EXPECT_SP_ERROR(grid_sample(ones({2, 4, 4}), zeros({2, 3, 3, 2}), true),
                  "expected input of shape [N, C, H, W], got [2, 4, 4]");
  EXPECT_SP_ERROR(interpolate(img, 0, 3, InterpMode::Nearest), "positive output size");
  EXPECT_SP_ERROR(interpolate(img, 2, 2, InterpMode::Nearest, true),
                  "align_corners=false for nearest");
  EXPECT_SP_ERROR(
      grid_sample_backward_input(zeros({1, 2, 3, 3}), zeros({1, 3, 2, 2}), img.shape(), true),
      "expected grad_output of shape [1, 2, 3, 2], got [1, 2, 3, 3]");
  // A constant image samples to the constant inside and fades to 0 across the border.
  Tensor g = from_vector<float>({0.f, 0.f, 1.f, 0.f}, {1, 1, 2, 2});
  EXPECT_EQ(grid_sample(img, g, true).to_vector<float>(), (std::vector<float>{1, 1, 1, 1}));
  EXPECT_EQ(grid_sample(img, g, false).to_vector<float>(), (std::vector<float>{1, 0.5f, 1, 0.5f}));
}

// A few homographies: identity, a translation, a perspective one (w varies over the image).
Tensor test_homographies() {
  return from_vector<double>({1,   0,   0,   0,    1,   0,     0,    0,     1,  //
                              1,   0,   2.5, 0,    1,   -1.25, 0,    0,     1,  //
                              0.9, 0.2, 1.5, -0.1, 1.1, 0.5,   0.01, -0.02, 1.2},
                             Shape{3, 3, 3});
}

TEST(Sample, HomographyGridIsTheProjectedPixelGrid) {
  const int64_t H = 5, W = 7;
  Tensor hs = test_homographies();
  Tensor pixels = homography_grid(hs, H, W, /*normalized=*/false, DType::F64);
  Tensor normal = homography_grid(hs, H, W, /*normalized=*/true, DType::F32);
  ASSERT_EQ(pixels.shape(), (Shape{3, H, W, 2}));
  ASSERT_EQ(normal.dtype(), DType::F32);
  std::vector<double> m = hs.to_vector<double>(), p = pixels.to_vector<double>();
  std::vector<float> n = normal.to_vector<float>();
  for (int64_t b = 0; b < 3; ++b)
    for (int64_t y = 0; y < H; ++y)
      for (int64_t x = 0; x < W; ++x) {
        const double* h = m.data() + 9 * b;
        const double z = h[6] * x + h[7] * y + h[8];
        const double u = (h[0] * x + h[1] * y + h[2]) / z, v = (h[3] * x + h[4] * y + h[5]) / z;
        const size_t k = size_t(((b * H + y) * W + x) * 2);
        EXPECT_NEAR(p[k], u, 1e-12);
        EXPECT_NEAR(p[k + 1], v, 1e-12);
        EXPECT_NEAR(n[k], 2 * u / (W - 1) - 1, 1e-6);
        EXPECT_NEAR(n[k + 1], 2 * v / (H - 1) - 1, 1e-6);
      }
  // The identity maps pixel (x, y) to itself; f32 homographies are accepted.
  EXPECT_EQ(pixels[0].select(2, 0)[1].to_vector<double>(),
            (std::vector<double>{0, 1, 2, 3, 4, 5, 6}));
  EXPECT_TRUE(
      all_close(homography_grid(hs.to(DType::F32), H, W, false, DType::F64), pixels, 1e-6, 1e-6));
  EXPECT_EQ(homography_grid(zeros({0, 3, 3}, DType::F64), H, W, true, DType::F32).shape(),
            (Shape{0, H, W, 2}));
  EXPECT_SP_ERROR(homography_grid(zeros({2, 3, 2}, DType::F64), H, W, true, DType::F32),
                  "[B, 3, 3]");
  EXPECT_SP_ERROR(homography_grid(hs, 1, W, true, DType::F32), "2x2");
  EXPECT_SP_ERROR(homography_grid(hs, H, W, true, DType::I32), "f32 or f64 output");
}

}  // namespace
}  // namespace sp
