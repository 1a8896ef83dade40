#include "data/homography.h"

#include <gtest/gtest.h>

#include <cmath>

#include "helpers/test_helpers.h"
#include "tensor/ops/creation.h"

namespace sp::data {
namespace {

Eigen::Vector2d apply(const Mat3& h, double x, double y) {
  Eigen::Vector3d q = h * Eigen::Vector3d(x, y, 1);
  return {q(0) / q(2), q(1) / q(2)};
}

TEST(Homography, PerspectiveTransformMapsTheFourCorners) {
  Eigen::Matrix<double, 4, 2> src, dst;
  src << 0, 0, 0, 1, 1, 1, 1, 0;
  dst << 0.1, 0.2, 0.05, 0.9, 0.8, 1.0, 0.95, 0.1;
  Mat3 h = perspective_transform(src, dst);
  for (int i = 0; i < 4; ++i)
    EXPECT_LT((apply(h, src(i, 0), src(i, 1)) - dst.row(i).transpose()).norm(), 1e-12);
}

TEST(Homography, WithoutArtifactsTheWarpedPatchStaysInside) {
  for (double patch : {0.5, 0.85}) {
    HomographyParams p;
    p.patch_ratio = patch;
    p.scaling_amplitude = 0.3;
    p.perspective_amplitude_x = p.perspective_amplitude_y = 0.4;
    p.max_angle = 3.14159;
    for (int i = 0; i < 2000; ++i) {
      Rng rng({7, uint64_t(i)});
      Mat3 h = sample_homography(p, rng);
      for (double x : {-1.0, 1.0})
        for (double y : {-1.0, 1.0}) {
          Eigen::Vector2d q = apply(h, x, y);
          ASSERT_TRUE(q.cwiseAbs().maxCoeff() <= 1 + 1e-9)
              << "sample " << i << " corner " << q.transpose();
        }
    }
  }
}

TEST(Homography, DeterministicAndVaried) {
  HomographyParams p = HomographyParams::synthetic_shapes();
  Rng a({1, 2}), b({1, 2}), c({1, 3});
  Mat3 ha = sample_homography(p, a), hb = sample_homography(p, b), hc = sample_homography(p, c);
  EXPECT_EQ(ha, hb);
  EXPECT_GT((ha - hc).norm(), 1e-6);
  // With everything off except the patch, H maps the full image onto the centered patch.
  HomographyParams none;
  none.translation = none.rotation = none.scaling = none.perspective = false;
  none.patch_ratio = 0.5;
  Rng r(0);
  Mat3 h = sample_homography(none, r);
  EXPECT_LT((apply(h, 1, 1) - Eigen::Vector2d(0.5, 0.5)).norm(), 1e-12);
  EXPECT_LT((apply(h, -1, 1) - Eigen::Vector2d(-0.5, 0.5)).norm(), 1e-12);
  none.patch_ratio = 1.5;
  EXPECT_SP_ERROR(sample_homography(none, r), "patch_ratio");
}

TEST(Homography, ArtifactsAllowLargerMotionAndRotationSpreads) {
  HomographyParams p = HomographyParams::synthetic_shapes();
  int outside = 0;
  double max_rot = 0;
  for (int i = 0; i < 500; ++i) {
    Rng rng({11, uint64_t(i)});
    Mat3 h = sample_homography(p, rng);
    Eigen::Vector2d q = apply(h, 1, 1);
    if (q.cwiseAbs().maxCoeff() > 1) ++outside;
    Eigen::Vector2d e = apply(h, 1, 0) - apply(h, -1, 0);
    max_rot = std::max(max_rot, std::abs(std::atan2(e(1), e(0))));
  }
  EXPECT_GT(outside, 0);
  EXPECT_GT(max_rot, 1.0);
  EXPECT_LT(max_rot, 1.57 + 0.5);
}

TEST(Homography, FramesAndPointWarpsMatchAnalyticTransforms) {
  int64_t hgt = 30, wid = 40;
  // Normalized (x_n = 2x/(W-1) - 1): a normalized shift by 2/(W-1) is one pixel.
  Mat3 hn = Mat3::Identity();
  hn(0, 2) = 2.0 / double(wid - 1);
  Mat3 hp = normalized_to_pixel(hn, hgt, wid);
  EXPECT_LT((apply(hp, 3, 4) - Eigen::Vector2d(4, 4)).norm(), 1e-12);
  EXPECT_LT((pixel_to_normalized(hp, hgt, wid) - hn).norm(), 1e-12);
  // Rotation about (10, 5) by 30 degrees then a scale by 2.
  double a = M_PI / 6;
  Mat3 r;
  r << 2 * std::cos(a), -2 * std::sin(a), 0, 2 * std::sin(a), 2 * std::cos(a), 0, 0, 0, 1;
  Mat3 t1 = Mat3::Identity(), t2 = Mat3::Identity();
  t1(0, 2) = -10, t1(1, 2) = -5, t2(0, 2) = 10, t2(1, 2) = 5;
  Mat3 h = t2 * r * t1;
  Tensor pts = from_vector<float>({10, 5, 11, 5, 10, 7}, {3, 2});
  std::vector<float> got = warp_points(pts, h).to_vector<float>();
  std::vector<float> want = {10,
                             5,
                             float(10 + 2 * std::cos(a)),
                             float(5 + 2 * std::sin(a)),
                             float(10 - 4 * std::sin(a)),
                             float(5 + 4 * std::cos(a))};
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-5);
  Tensor kept =
      filter_points(from_vector<float>({0, 0, 39, 29, 39.5f, 3, -0.1f, 2}, {4, 2}), hgt, wid);
  EXPECT_EQ(kept.shape(), (Shape{2, 2}));
  EXPECT_EQ(warp_points(zeros({0, 2}), h).shape(), (Shape{0, 2}));
  EXPECT_SP_ERROR(warp_points(zeros({3, 3}), h), "[3, 3]");
}

TEST(Homography, WarpImageAgreesWithWarpPoints) {
  int64_t hgt = 48, wid = 64;
  Tensor img = zeros({2, hgt, wid});
  img.data<float>()[20 * wid + 30] = 1.0f;  // a dot at (x=30, y=20) in channel 0
  HomographyParams p = HomographyParams::warped_pair();
  std::vector<Mat3> hs;
  for (int i = 0; i < 6; ++i) {
    Rng rng({5, uint64_t(i)});
    hs.push_back(normalized_to_pixel(sample_homography(p, rng), hgt, wid));
  }
  hs.push_back(Mat3::Identity());
  Tensor out = warp_image(img, hs);
  ASSERT_EQ(out.shape(), (Shape{7, 2, hgt, wid}));
  for (size_t k = 0; k < hs.size(); ++k) {
    // The dot appears where inv(H) sends it.
    Tensor q = warp_points(from_vector<float>({30, 20}, {1, 2}), hs[k].inverse());
    float qx = q.data<float>()[0], qy = q.data<float>()[1];
    if (qx < 1 || qy < 1 || qx > wid - 2 || qy > hgt - 2) continue;
    const float* o = out.data<float>() + int64_t(k) * 2 * hgt * wid;
    int64_t best = 0;
    for (int64_t i = 0; i < hgt * wid; ++i)
      if (o[i] > o[best]) best = i;
    EXPECT_LE(std::abs(double(best % wid) - qx), 1.0) << k;
    EXPECT_LE(std::abs(double(best / wid) - qy), 1.0) << k;
  }
  // Identity leaves the image unchanged; a one-pixel shift moves it.
  EXPECT_TRUE(test::equal(out[6], img));
  Mat3 shift = Mat3::Identity();
  shift(0, 2) = 1;
  Tensor s = warp_image(img, {shift}, Sampling::Nearest);
  EXPECT_EQ(s.data<float>()[20 * wid + 29], 1.0f);
  EXPECT_EQ(s.data<float>()[wid - 1], 0.0f);  // zero padding
}

TEST(Homography, EllipseElementsAndErodedMasks) {
  std::vector<uint8_t> k4 = ellipse_element(4), k6 = ellipse_element(6);
  std::vector<uint8_t> e4 = {0, 0, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
  std::vector<uint8_t> e6 = {0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
                             1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1};
  EXPECT_EQ(k4, e4);
  EXPECT_EQ(k6, e6);
  // Shift right by 5 px: the first 5 columns sample outside. Erosion r=2 removes 2 more
  // columns on the left (the element reaches 2 px left) and nothing at the image border.
  Mat3 shift = Mat3::Identity();
  shift(0, 2) = -5;
  Tensor m = valid_masks(10, 20, {shift, Mat3::Identity()}, 2);
  ASSERT_EQ(m.shape(), (Shape{2, 1, 10, 20}));
  const float* p = m.data<float>();
  for (int64_t y = 0; y < 10; ++y) {
    EXPECT_EQ(p[y * 20 + 6], 0.0f);
    EXPECT_EQ(p[y * 20 + 7], 1.0f);
    EXPECT_EQ(p[y * 20 + 19], 1.0f);
  }
  for (int64_t i = 0; i < 200; ++i) EXPECT_EQ(p[200 + i], 1.0f);
}

}  // namespace
}  // namespace sp::data
