// What the two-view datasets share (homography pairs, MegaDepth, COLMAP scenes; Glue
// Factory's ImagePreprocessor and posed views, matchers.md 1.6 and 3.3): resizing with
// the matching intrinsics, zero padding, and the sample keys a two-view batch carries.
//
// Sample keys (suffix 0 / 1 per view; loader.h stacks them):
//   image<i>       [C, H, W] f32 in [0, 1] (padded to the dataset's fixed size)
//   image_size<i>  [2] f32 (W, H) of the image before padding (the camera's size)
//   K<i>           [3, 3] f32 intrinsics in pixels of the resized image (posed datasets)
//   depth<i>       [H, W] f32, 0 = invalid, resized by nearest and padded like the image
//   T_0to1         [4, 4] f32: X1 = R X0 + t (posed datasets)
//   H_0to1         [3, 3] f32: image-0 pixels -> image-1 pixels (homography pairs)
//   scales<i>      [2] f32 (sx, sy): resized / original size
//   overlap        [] f32: the pair's co-visibility score (posed datasets)
//   scene, index0, index1  [] i64: which scene and images (cache lookups, pictures)
// Pixel convention: integer pixel centres; resizing by (sx, sy) maps x to
// (x + 0.5) sx - 0.5, and K to [[fx sx, 0, (cx + 0.5) sx - 0.5], [0, fy sy, ...]].
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "data/homography.h"
#include "tensor/tensor.h"

namespace sp::data {

// How images are resized before a model sees them.
struct ResizeConfig {
  std::string mode = "none";      // none | long (long side = size) | short | exact (W x H)
  int64_t size = 0;               // long / short
  int64_t width = 0, height = 0;  // exact
  // Pad bottom/right with zeros: "none"; "square" (to size x size, long mode); or
  // "multiple" (each side up to a multiple of `multiple`).
  std::string pad = "none";
  int64_t multiple = 1;
  void validate(const std::string& what) const;
};

struct Resized {
  Tensor image;                   // [C, H', W'] after resizing and padding
  int64_t width = 0, height = 0;  // before padding
  double sx = 1, sy = 1;          // resized / original per axis
};

// Resizes (bilinear, INTER_AREA when shrinking) and pads `image` [C, H, W].
Resized resize_image(const Tensor& image, const ResizeConfig& config);
// The size resize_image would give an image of width x height (before padding).
std::array<int64_t, 2> resized_size(int64_t width, int64_t height, const ResizeConfig& config);
// A depth map [H, W] resized by nearest to (width, height), then zero-padded to
// (padded_width, padded_height).
Tensor resize_depth(const Tensor& depth, int64_t width, int64_t height, int64_t padded_width,
                    int64_t padded_height);
// Zero-pads [C, H, W] (or [H, W]) bottom/right.
Tensor pad_bottom_right(const Tensor& image, int64_t height, int64_t width);

// K in the resized image.
Mat3 scale_intrinsics(const Mat3& K, double sx, double sy);

// Eigen <-> [3, 3] / [4, 4] f32 tensors.
Tensor matrix_tensor(const Eigen::MatrixXd& m);
Eigen::MatrixXd tensor_matrix(const Tensor& t);

}  // namespace sp::data
