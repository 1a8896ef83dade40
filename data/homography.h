// Homography sampling and warping (spec superpoint.md section 2).
//
// Conventions (decisions on the quirks of spec section 10.1, see data/README.md):
// - A sampled homography H maps OUTPUT (warped-image) points to INPUT (source) points:
//   warped(p) = source(H p), the tf.contrib.image.transform / [PS] convention.
// - Sampling follows [PS] `sample_homography_np` (output corners = the full image, input
//   corners = a patch of side patch_ratio, hence a zoom-in by 1/patch_ratio on average)
//   with the later [TF] fixes: with allow_artifacts the scale candidates are the n_scales
//   sampled scales (not scale 1 and minus the last), and "inside the image" is [0, 1]
//   inclusive.
// - Normalized frame: x_n = 2 x / (W - 1) - 1 (align_corners=True) for images AND points,
//   so labels and pixels agree (fixes the [PS] 2x/W - 1 mismatch for points).
#pragma once

#include <Eigen/Dense>
#include <cstdint>
#include <vector>

#include "data/random.h"
#include "tensor/tensor.h"

namespace sp::data {

using Mat3 = Eigen::Matrix3d;

struct HomographyParams {
  bool translation = true;
  bool rotation = true;
  bool scaling = true;
  bool perspective = true;
  int n_scales = 5;
  int n_angles = 25;
  double scaling_amplitude = 0.1;
  double perspective_amplitude_x = 0.1;
  double perspective_amplitude_y = 0.1;
  double patch_ratio = 0.5;
  double max_angle = 1.5707963267948966;  // pi / 2
  bool allow_artifacts = false;
  double translation_overflow = 0.0;

  // Presets of spec table 2.1.
  static HomographyParams synthetic_shapes();  // MagicPoint on shapes (patch 0.8, overflow 0.05)
  static HomographyParams warped_pair();       // COCO/KITTI SuperPoint pairs (patch 0.85)
  static HomographyParams adaptation();        // homography-adaptation export (patch 0.85)
  void validate() const;                       // throws sp::Error on out-of-range values
};

// A random homography in the normalized [-1, 1] frame, output -> input.
Mat3 sample_homography(const HomographyParams& params, Rng& rng);

// 3x3 that solves dst_i ~ H src_i for 4 point pairs (cv2.getPerspectiveTransform).
Mat3 perspective_transform(const Eigen::Matrix<double, 4, 2>& src,
                           const Eigen::Matrix<double, 4, 2>& dst);

// Frame changes for an image of height x width (both >= 2).
Mat3 normalized_to_pixel(const Mat3& h_normalized, int64_t height, int64_t width);
Mat3 pixel_to_normalized(const Mat3& h_pixel, int64_t height, int64_t width);

// Points [N, 2] (x, y) f32 -> H p / z, [N, 2] f32.
Tensor warp_points(const Tensor& points, const Mat3& h);
// Keeps points with 0 <= x <= W - 1 and 0 <= y <= H - 1.
Tensor filter_points(const Tensor& points, int64_t height, int64_t width);

enum class Sampling { Bilinear, Nearest };

// Warps one image [C, H, W] f32 by each pixel-frame homography (output -> input):
// out[n](p) = image(h[n] p), zero outside (grid_sample with zero padding,
// align_corners=True, nearest rounds half to even). Returns [N, C, H, W].
Tensor warp_image(const Tensor& image, const std::vector<Mat3>& h_pixel,
                  Sampling sampling = Sampling::Bilinear);

// Valid masks [N, 1, H, W] f32: nearest warp of an all-ones image, then binary erosion
// with OpenCV's MORPH_ELLIPSE element of size 2r x 2r, anchor (r, r) (spec 2.5). The
// image border is not eroded (outside counts as valid). r = 0 leaves the mask as is.
Tensor valid_masks(int64_t height, int64_t width, const std::vector<Mat3>& h_pixel,
                   int erosion_radius);

// OpenCV getStructuringElement(MORPH_ELLIPSE, (size, size)) as size*size 0/1 values.
std::vector<uint8_t> ellipse_element(int size);
// In-place erosion of a 0/1 plane with ellipse_element(2r), anchor (r, r).
void erode_plane(float* plane, int64_t height, int64_t width, int radius);

}  // namespace sp::data
