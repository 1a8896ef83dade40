#include "data/synthetic_shapes.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <filesystem>

#include "data/image_io.h"
#include "helpers/test_helpers.h"

namespace sp::data {
namespace {

TEST(SyntheticShapes, DeterministicInSeedAndIndex) {
  ShapesConfig cfg;
  for (Primitive p : {Primitive::Polygon, Primitive::Checkerboard, Primitive::GaussianNoise}) {
    ShapeSample a = generate_shape(p, cfg, 3, Split::Train, 17),
                b = generate_shape(p, cfg, 3, Split::Train, 17);
    ShapeSample c = generate_shape(p, cfg, 3, Split::Train, 18),
                d = generate_shape(p, cfg, 3, Split::Val, 17);
    EXPECT_TRUE(test::equal(a.image, b.image));
    EXPECT_TRUE(test::equal(a.points, b.points));
    EXPECT_FALSE(test::equal(a.image, c.image));
    EXPECT_FALSE(test::equal(a.image, d.image));
    EXPECT_EQ(a.image.shape(), (Shape{1, 120, 160}));
    EXPECT_GE(a.image.to_vector<float>()[0], 0.0f);
  }
}

TEST(SyntheticShapes, NamesAndCounts) {
  EXPECT_EQ(parse_primitive("draw_cube"), Primitive::Cube);
  EXPECT_STREQ(primitive_name(Primitive::GaussianNoise), "gaussian_noise");
  EXPECT_SP_ERROR(parse_primitive("draw_circle"), "draw_checkerboard");
  ShapesConfig cfg;
  EXPECT_EQ(all_primitives().size(), 9u);
  cfg.blur_size = 4;
  EXPECT_SP_ERROR(generate_shape(Primitive::Lines, cfg, 0, Split::Train, 0), "odd blur_size");
}

// On a flat canvas, every ground-truth point must sit on a rendered corner: its 5x5
// neighbourhood (21x21: a thick line's endpoint is the center of its round cap) holds
// at least two clearly different values.
TEST(SyntheticShapes, PointsLieOnRenderedCorners) {
  for (Primitive p :
       {Primitive::Lines, Primitive::Polygon, Primitive::MultiplePolygons, Primitive::Star,
        Primitive::Checkerboard, Primitive::Stripes, Primitive::Cube}) {
    int total = 0, on_corner = 0;
    for (uint64_t i = 0; i < 6; ++i) {
      Canvas c(480, 640, 0.0f);
      Rng rng({42, uint64_t(p), i});
      std::vector<Pt> pts = draw_primitive(p, c, rng);
      for (const Pt& q : pts) {
        ASSERT_TRUE(q.x >= 0 && q.y >= 0 && q.x < 640 && q.y < 480) << primitive_name(p);
        float lo = 1e9f, hi = -1e9f;
        for (int64_t dy = -10; dy <= 10; ++dy)
          for (int64_t dx = -10; dx <= 10; ++dx) {
            int64_t y = int64_t(q.y) + dy, x = int64_t(q.x) + dx;
            if (y < 0 || x < 0 || y >= 480 || x >= 640) continue;
            lo = std::min(lo, c.at(y, x)), hi = std::max(hi, c.at(y, x));
          }
        ++total;
        on_corner += hi - lo >= 20.0f;
      }
    }
    EXPECT_GT(total, 0) << primitive_name(p);
    EXPECT_GE(on_corner, int(0.9 * total))
        << primitive_name(p) << ": " << on_corner << "/" << total;
  }
  for (Primitive p : {Primitive::Ellipses, Primitive::GaussianNoise}) {
    Canvas c(480, 640, 0.0f);
    Rng rng({1});
    EXPECT_TRUE(draw_primitive(p, c, rng).empty());
    EXPECT_GT(c.mean(), 0.0);
  }
}

// After blur and resize, points still sit on image structure: the local contrast at the
// points is well above the contrast at random places.
TEST(SyntheticShapes, ResizedPointsKeepContrast) {
  ShapesConfig cfg;
  double at_points = 0, at_random = 0;
  int n_points = 0, n_random = 0;
  Rng pick(9);
  for (int64_t i = 0; i < 6; ++i) {
    ShapeSample s = generate_shape(Primitive::Checkerboard, cfg, 1, Split::Train, i);
    const float* img = s.image.data<float>();
    auto contrast = [&](int64_t x, int64_t y) {
      float lo = 1e9f, hi = -1e9f;
      for (int64_t dy = -2; dy <= 2; ++dy)
        for (int64_t dx = -2; dx <= 2; ++dx) {
          int64_t yy = std::clamp<int64_t>(y + dy, 0, 119),
                  xx = std::clamp<int64_t>(x + dx, 0, 159);
          lo = std::min(lo, img[yy * 160 + xx]), hi = std::max(hi, img[yy * 160 + xx]);
        }
      return double(hi - lo);
    };
    for (int64_t k = 0; k < s.points.size(0); ++k, ++n_points)
      at_points += contrast(std::lround(s.points.data<float>()[2 * k]),
                            std::lround(s.points.data<float>()[2 * k + 1]));
    for (int k = 0; k < 20; ++k, ++n_random)
      at_random +=
          contrast(pick.randint(int64_t(0), int64_t(160)), pick.randint(int64_t(0), int64_t(120)));
  }
  ASSERT_GT(n_points, 0);
  EXPECT_GT(at_points / n_points, 1.5 * at_random / n_random);
}

TEST(SyntheticShapes, ContactSheetDecodes) {
  ShapesConfig cfg;
  std::vector<ShapeSample> samples;
  auto t0 = std::chrono::steady_clock::now();
  for (Primitive p : all_primitives())
    for (int64_t i = 0; i < 2; ++i) samples.push_back(generate_shape(p, cfg, 0, Split::Train, i));
  double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  std::string path = std::string(SP_BINARY_DIR) + "/synthetic_shapes_contact_sheet.png";
  write_contact_sheet(path, samples, 6);
  Tensor sheet = read_image(path);
  EXPECT_EQ(sheet.shape(), (Shape{3, 3 * 122 + 2, 6 * 162 + 2}));
  // Red dots exist (R = 1, G = 0 somewhere).
  const float* s = sheet.data<float>();
  int64_t n = sheet.size(1) * sheet.size(2), red = 0;
  for (int64_t i = 0; i < n; ++i) red += s[i] > 0.99f && s[n + i] < 0.01f;
  EXPECT_GT(red, 0);
  std::cout << "generated 18 shapes samples in " << ms << " ms; sheet at " << path << "\n";
}

}  // namespace
}  // namespace sp::data
