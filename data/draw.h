// A small rasterizer for the synthetic shapes (no OpenCV): filled polygons, ellipses,
// circles, thick lines, and the box / Gaussian blurs of the generator. Works on one
// f32 plane in 0..255 (the generator's u8 units). A pixel is painted when its center
// (integer coordinates) lies inside the shape, plain (not antialiased).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace sp::data {

struct Pt {
  double x = 0, y = 0;
};

struct Canvas {
  int64_t height = 0, width = 0;
  std::vector<float> pixels;  // row-major, height * width
  Canvas() = default;
  Canvas(int64_t h, int64_t w, float value = 0.0f)
      : height(h), width(w), pixels(size_t(h * w), value) {}
  float& at(int64_t y, int64_t x) { return pixels[size_t(y * width + x)]; }
  float at(int64_t y, int64_t x) const { return pixels[size_t(y * width + x)]; }
  double mean() const;
};

// Fills a simple polygon (even-odd rule, scanline at pixel centers, edges included).
void fill_polygon(Canvas& c, const std::vector<Pt>& poly, float value);
// Same, but copies the covered pixels from `texture` (same size as c).
void fill_polygon_from(Canvas& c, const std::vector<Pt>& poly, const Canvas& texture);
// A segment of the given thickness with round caps (OpenCV's thick-line shape).
void draw_line(Canvas& c, Pt a, Pt b, double thickness, float value);
// A filled ellipse with semi-axes (ax, ay) rotated by angle_deg (clockwise in image
// coordinates, like cv2.ellipse).
void fill_ellipse(Canvas& c, Pt center, double ax, double ay, double angle_deg, float value);
void fill_circle(Canvas& c, Pt center, double radius, float value);

// cv2.blur (normalized box filter, k x k, BORDER_REFLECT_101), running sums.
void box_blur(Canvas& c, int k);
// cv2.GaussianBlur with a k x k kernel; sigma <= 0 derives it from k like OpenCV:
// 0.3 * ((k - 1) / 2 - 1) + 0.8. BORDER_REFLECT_101.
void gaussian_blur(Canvas& c, int k, double sigma = 0.0);
// OpenCV's borderInterpolate for BORDER_REFLECT_101 (any offset).
int64_t reflect101(int64_t i, int64_t n);

}  // namespace sp::data
