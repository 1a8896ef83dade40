// Synthetic Shapes (spec superpoint.md section 1), generated on the fly.
//
// A sample is a deterministic function of (seed, primitive, split, index): its random
// stream is Rng({seed, primitive, split, index}) (data/random.h). Generation follows
// spec 1.1: background on a 960x1280 canvas, the primitive, Gaussian blur (blur_size),
// resize to `resize` with INTER_LINEAR. Ground-truth points are mapped with the
// pixel-center-correct scale p' = (p + 0.5) * s - 0.5 (spec 10.1.7 notes the reference
// drops the half pixel; we keep labels on the resized corners).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "data/draw.h"
#include "data/random.h"
#include "tensor/tensor.h"

namespace sp::data {

enum class Primitive {
  Lines,
  Polygon,
  MultiplePolygons,
  Ellipses,
  Star,
  Checkerboard,
  Stripes,
  Cube,
  GaussianNoise,
};
inline constexpr int kNumPrimitives = 9;

// "draw_lines", "draw_polygon", ..., "gaussian_noise" (the reference names).
const char* primitive_name(Primitive p);
Primitive parse_primitive(const std::string& name);  // throws listing the valid names
std::vector<Primitive> all_primitives();

enum class Split { Train = 0, Val = 1, Test = 2 };
const char* split_name(Split s);

struct ShapesConfig {
  int64_t canvas_height = 960, canvas_width = 1280;     // generation.image_size
  int blur_size = 21;                                   // preprocessing.blur_size
  int64_t height = 120, width = 160;                    // preprocessing.resize
  std::array<int64_t, 3> split_sizes{10000, 200, 500};  // per primitive (train, val, test)
  // Fraction of each split kept per primitive (spec 1.4 `truncate`); 1 if absent.
  double truncate(Primitive p) const;
  double truncate_ellipses = 0.3, truncate_stripes = 0.2, truncate_noise = 0.1;
  void validate() const;
};

struct ShapeSample {
  Tensor image;   // [1, height, width] f32 in [0, 1]
  Tensor points;  // [N, 2] f32 (x, y) at the output resolution, inside the image
};

// One sample of `primitive` (deterministic in all arguments).
ShapeSample generate_shape(Primitive primitive, const ShapesConfig& config, uint64_t seed,
                           Split split, int64_t index);

// Lower level, exposed for tests: draws on a canvas in 0..255 units and returns the
// ground-truth points (x, y) in canvas pixels (ints, inside the canvas).
Canvas generate_background(int64_t height, int64_t width, Rng& rng);
std::vector<Pt> draw_primitive(Primitive primitive, Canvas& canvas, Rng& rng);

// Writes a PNG grid of samples (cols per row) with the ground-truth points as red dots.
void write_contact_sheet(const std::string& path, const std::vector<ShapeSample>& samples,
                         int cols);

}  // namespace sp::data
