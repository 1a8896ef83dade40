#include "data/photometric.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "helpers/test_helpers.h"
#include "tensor/ops/creation.h"

namespace sp::data {
namespace {

Tensor gradient_image(int64_t c, int64_t h, int64_t w) {
  Tensor t = empty({c, h, w});
  float* p = t.data<float>();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = float((i % w) + (i / w % h)) / float(w + h);
  return t;
}

TEST(Photometric, DeterministicGivenSeedAndInRange) {
  Tensor img = gradient_image(1, 60, 80);
  for (auto params : {PhotometricParams(), PhotometricParams::synthetic_shapes(),
                      PhotometricParams::superpoint_coco()}) {
    Tensor a = photometric_augment(img, params, 5), b = photometric_augment(img, params, 5),
           c = photometric_augment(img, params, 6);
    EXPECT_TRUE(test::equal(a, b));
    EXPECT_FALSE(test::equal(a, c));
    for (float v : a.to_vector<float>()) ASSERT_TRUE(v >= 0.0f && v <= 1.0f);
  }
  EXPECT_EQ(photometric_augment(gradient_image(3, 20, 30), PhotometricParams(), 1).shape(),
            (Shape{3, 20, 30}));
  PhotometricParams bad;
  bad.contrast_range = {1.5, 0.5};
  EXPECT_SP_ERROR(photometric_augment(img, bad, 0), "contrast");
}

TEST(Photometric, SingleOpsFollowTheirDefinitions) {
  std::vector<float> x(1000, 100.0f);
  Rng rng(1);
  random_brightness(x.data(), 1000, 50, rng);
  EXPECT_NEAR(x[0], x[999], 0);
  EXPECT_LE(std::abs(x[0] - 100.0f), 50.0f);
  // Contrast pivots on the mean: a two-valued image keeps its mean.
  std::vector<float> y(1000);
  for (int i = 0; i < 1000; ++i) y[size_t(i)] = i % 2 ? 80.0f : 120.0f;
  random_contrast(y.data(), 1000, {1.5, 1.5}, rng);
  EXPECT_NEAR(y[0], 130.0f, 1e-4);
  EXPECT_NEAR(y[1], 70.0f, 1e-4);
  // Gaussian noise with a fixed sigma: sample std close to sigma.
  std::vector<float> z(20000, 128.0f);
  additive_gaussian_noise(z.data(), 20000, {10, 10}, rng);
  double s2 = 0;
  for (float v : z) s2 += (v - 128.0) * (v - 128.0);
  EXPECT_NEAR(std::sqrt(s2 / 20000), 10.0, 0.3);
  // Speckle with p = 0.1: about 10% zeros and 10% 255s.
  std::vector<float> s(20000, 128.0f);
  additive_speckle_noise(s.data(), 20000, {0.1, 0.1}, rng);
  int zeros = 0, sat = 0;
  for (float v : s) zeros += v == 0.0f, sat += v == 255.0f;
  EXPECT_NEAR(zeros / 20000.0, 0.1, 0.01);
  EXPECT_NEAR(sat / 20000.0, 0.1, 0.01);
  // Motion blur preserves a constant image and smears an impulse along one line.
  std::vector<float> m(31 * 31, 0.0f);
  m[15 * 31 + 15] = 255.0f;
  Rng mr(3);
  motion_blur(m.data(), 31, 31, 9, mr);
  double total = 0;
  int nonzero = 0;
  for (float v : m) total += v, nonzero += v > 1e-6f;
  EXPECT_NEAR(total, 255.0, 1e-2);
  EXPECT_LE(nonzero, 9);
  // Shade only darkens or brightens multiplicatively within the transparency range.
  std::vector<float> sh(40 * 50, 200.0f);
  PhotometricParams p = PhotometricParams::synthetic_shapes();
  Rng srng(4);
  additive_shade(sh.data(), 40, 50, p, srng);
  for (float v : sh) ASSERT_TRUE(v >= 200.0f * 0.2f - 1e-3f && v <= 255.0f);
}

}  // namespace
}  // namespace sp::data
