#include "data/device_warp.h"

#include <gtest/gtest.h>

#include <vector>

#include "data/homography.h"
#include "data/random.h"
#include "helpers/test_helpers.h"
#include "tensor/ops/creation.h"
#include "tensor/ops/random.h"

namespace sp::data {
namespace {

constexpr int64_t kH = 30, kW = 40;

std::vector<Mat3> sampled_homographies(int n) {
  std::vector<Mat3> hs;
  HomographyParams p = HomographyParams::synthetic_shapes();
  for (int i = 0; i < n; ++i) {
    Rng rng({11u, uint64_t(i)});
    hs.push_back(normalized_to_pixel(sample_homography(p, rng), kH, kW));
  }
  hs.push_back(Mat3::Identity());
  Mat3 shift = Mat3::Identity();
  shift(0, 2) = 3.25, shift(1, 2) = -2.5;  // a pure translation with fractional parts
  hs.push_back(shift);
  return hs;
}

Tensor as_tensor(const std::vector<Mat3>& hs) {
  std::vector<double> values;
  for (const Mat3& m : hs)
    for (int r = 0; r < 3; ++r)
      for (int c = 0; c < 3; ++c) values.push_back(m(r, c));
  return from_vector<double>(values, Shape{int64_t(hs.size()), 3, 3});
}

Tensor test_image() {
  Generator gen(5);
  return rand({1, kH, kW}, gen);
}

TEST(DeviceWarp, MatchesTheCpuWarpOfEachImage) {
  std::vector<Mat3> hs = sampled_homographies(6);
  Tensor image = test_image();
  Tensor expected = warp_image(image, hs);
  Tensor batch = image.unsqueeze(0).expand({int64_t(hs.size()), 1, kH, kW}).contiguous();
  Tensor got = warp_batch(batch, as_tensor(hs));
  EXPECT_TRUE(test::all_close(got, expected, 1e-4, 1e-5));
}

TEST(DeviceWarp, ValidMasksEqualTheCpuMasksBitForBit) {
  std::vector<Mat3> hs = sampled_homographies(6);
  for (int radius : {0, 1, 2, 3}) {
    Tensor expected = valid_masks(kH, kW, hs, radius);
    Tensor got = valid_mask_batch(kH, kW, as_tensor(hs), radius);
    EXPECT_TRUE(test::equal(got, expected)) << "radius " << radius;
  }
}

TEST(DeviceWarp, BadShapesAreNamed) {
  EXPECT_SP_ERROR(warp_batch(zeros({2, 1, 8, 8}), zeros({3, 3, 3})),
                  "expected images [3, C, H, W] for 3 homographies");
  EXPECT_SP_ERROR(valid_mask_batch(8, 8, zeros({3, 3}), 2),
                  "expected homographies [B, 3, 3], got [3, 3]");
  EXPECT_SP_ERROR(valid_mask_batch(8, 8, zeros({1, 3, 3}, DType::I64), 2),
                  "expected f32 or f64 homographies");
}

TEST(DeviceWarpGpu, CudaWarpsAndMasksMatchTheCpu) {
  SP_SKIP_WITHOUT_GPU();
  std::vector<Mat3> hs = sampled_homographies(6);
  Tensor h = as_tensor(hs);
  Tensor batch = test_image().unsqueeze(0).expand({int64_t(hs.size()), 1, kH, kW}).contiguous();
  Tensor cpu_warp = warp_batch(batch, h);
  Tensor gpu_warp = warp_batch(batch.to(cuda_device()), h.to(cuda_device()));
  EXPECT_EQ(gpu_warp.device(), cuda_device());
  EXPECT_TRUE(test::all_close(gpu_warp.cpu(), cpu_warp, 1e-5, 1e-6));
  for (int radius : {0, 2}) {
    Tensor gpu_mask = valid_mask_batch(kH, kW, h.to(cuda_device()), radius);
    EXPECT_TRUE(test::equal(gpu_mask.cpu(), valid_masks(kH, kW, hs, radius)))
        << "radius " << radius;
  }
}

}  // namespace
}  // namespace sp::data
