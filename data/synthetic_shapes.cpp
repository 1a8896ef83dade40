// Synthetic Shapes sample pipeline, names and contact sheets; the primitives are in
// shape_primitives.cpp.
#include "data/synthetic_shapes.h"

#include <algorithm>
#include <cmath>

#include "data/image_io.h"
#include "tensor/ops/creation.h"

namespace sp::data {

namespace {
const char* kNames[kNumPrimitives] = {"draw_lines",    "draw_polygon", "draw_multiple_polygons",
                                      "draw_ellipses", "draw_star",    "draw_checkerboard",
                                      "draw_stripes",  "draw_cube",    "gaussian_noise"};
}

const char* primitive_name(Primitive p) {
  return kNames[int(p)];
}

Primitive parse_primitive(const std::string& name) {
  for (int i = 0; i < kNumPrimitives; ++i)
    if (name == kNames[i]) return Primitive(i);
  std::string all;
  for (const char* n : kNames) all += std::string(all.empty() ? "" : ", ") + n;
  SP_FAIL("synthetic_shapes: expected a primitive among {", all, "}, got '", name, "'");
}

std::vector<Primitive> all_primitives() {
  std::vector<Primitive> out;
  for (int i = 0; i < kNumPrimitives; ++i) out.push_back(Primitive(i));
  return out;
}

const char* split_name(Split s) {
  static const char* names[3] = {"training", "validation", "test"};
  return names[int(s)];
}

double ShapesConfig::truncate(Primitive p) const {
  if (p == Primitive::Ellipses) return truncate_ellipses;
  if (p == Primitive::Stripes) return truncate_stripes;
  if (p == Primitive::GaussianNoise) return truncate_noise;
  return 1.0;
}

void ShapesConfig::validate() const {
  SP_CHECK(canvas_height >= 64 && canvas_width >= 64,
           "synthetic_shapes: expected a canvas of at least 64x64, got ", canvas_height, "x",
           canvas_width);
  SP_CHECK(height > 0 && width > 0, "synthetic_shapes: expected a positive resize, got ", height,
           "x", width);
  SP_CHECK(blur_size >= 0 && (blur_size == 0 || blur_size % 2 == 1),
           "synthetic_shapes: expected an odd blur_size (or 0), got ", blur_size);
}

ShapeSample generate_shape(Primitive primitive, const ShapesConfig& config, uint64_t seed,
                           Split split, int64_t index) {
  config.validate();
  Rng rng({seed, uint64_t(primitive), uint64_t(split), uint64_t(index)});
  Canvas canvas = generate_background(config.canvas_height, config.canvas_width, rng);
  std::vector<Pt> pts = draw_primitive(primitive, canvas, rng);
  gaussian_blur(canvas, config.blur_size);
  ShapeSample s;
  s.image = empty({1, config.height, config.width});
  resize_plane(canvas.pixels.data(), canvas.height, canvas.width, s.image.data<float>(),
               config.height, config.width, Interp::Linear);
  float* px = s.image.data<float>();
  for (int64_t i = 0; i < s.image.numel(); ++i) px[i] = std::clamp(px[i], 0.0f, 255.0f) / 255.0f;
  double sx = double(config.width) / double(config.canvas_width),
         sy = double(config.height) / double(config.canvas_height);
  std::vector<float> kept;
  for (const Pt& p : pts) {
    double x = (p.x + 0.5) * sx - 0.5, y = (p.y + 0.5) * sy - 0.5;
    if (x >= 0 && y >= 0 && x <= double(config.width - 1) && y <= double(config.height - 1))
      kept.push_back(float(x)), kept.push_back(float(y));
  }
  s.points = from_vector(kept, {int64_t(kept.size() / 2), 2});
  return s;
}

void write_contact_sheet(const std::string& path, const std::vector<ShapeSample>& samples,
                         int cols) {
  SP_CHECK(!samples.empty() && cols > 0, "write_contact_sheet: expected samples and cols > 0, got ",
           samples.size(), " samples, cols ", cols);
  int64_t h = samples[0].image.size(1), w = samples[0].image.size(2), pad = 2;
  int64_t rows = (int64_t(samples.size()) + cols - 1) / cols;
  int64_t sh = rows * (h + pad) + pad, sw = cols * (w + pad) + pad;
  Tensor sheet = ones({3, sh, sw});
  float* o = sheet.data<float>();
  for (size_t i = 0; i < samples.size(); ++i) {
    const Tensor img = samples[i].image.contiguous();
    SP_CHECK(img.size(1) == h && img.size(2) == w,
             "write_contact_sheet: expected equal sizes, got ", img.shape());
    int64_t oy = pad + int64_t(i) / cols * (h + pad), ox = pad + int64_t(i) % cols * (w + pad);
    for (int64_t c = 0; c < 3; ++c)
      for (int64_t y = 0; y < h; ++y)
        for (int64_t x = 0; x < w; ++x)
          o[(c * sh + oy + y) * sw + ox + x] = img.data<float>()[y * w + x];
    Tensor pts = samples[i].points.contiguous();
    for (int64_t k = 0; k < pts.size(0); ++k) {
      int64_t px = std::lround(pts.data<float>()[2 * k]),
              py = std::lround(pts.data<float>()[2 * k + 1]);
      for (int64_t dy = -1; dy <= 1; ++dy)
        for (int64_t dx = -1; dx <= 1; ++dx) {
          int64_t y = py + dy, x = px + dx;
          if (y < 0 || x < 0 || y >= h || x >= w) continue;
          float rgb[3] = {1.0f, 0.0f, 0.0f};
          for (int64_t c = 0; c < 3; ++c) o[(c * sh + oy + y) * sw + ox + x] = rgb[c];
        }
    }
  }
  write_png(path, sheet);
}

}  // namespace sp::data
