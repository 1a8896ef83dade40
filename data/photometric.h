// Photometric augmentation (spec superpoint.md section 3), [TF] semantics: every enabled
// op once per sample with freshly sampled parameters, in random order by default;
// contrast pivots on the image mean; motion blur is really applied (the [PS] imgaug
// chain drops it and doubles the impulse noise, spec 10.1.6).
//
// Images are [C, H, W] f32 in [0, 1]; parameters keep the spec's 0..255 units (the ops
// run on x * 255 and the result is divided back). Deterministic given the seed.
#pragma once

#include <array>
#include <cstdint>

#include "data/random.h"
#include "tensor/tensor.h"

namespace sp::data {

struct PhotometricParams {
  bool random_order = true;
  bool brightness = true, contrast = true, gaussian_noise = true, speckle_noise = true,
       shade = true, motion_blur = true;
  double brightness_max_abs_change = 50;           // U(-m, m)
  std::array<double, 2> contrast_range{0.5, 1.5};  // factor
  std::array<double, 2> noise_stddev_range{5, 95};
  std::array<double, 2> speckle_prob_range{0, 0.005};
  int shade_nb_ellipses = 20;
  std::array<double, 2> shade_transparency_range{-0.5, 0.8};
  std::array<int, 2> shade_kernel_size_range{250, 350};  // randint, half-open; +1 if even
  int motion_blur_max_kernel_size = 10;

  // Parameter sets of spec 3.3.
  static PhotometricParams synthetic_shapes();
  static PhotometricParams superpoint_coco();
  static PhotometricParams magicpoint_coco();
  void validate() const;
};

// Returns a new augmented image (the input is untouched).
Tensor photometric_augment(const Tensor& image, const PhotometricParams& params, uint64_t seed);

// The single ops on one plane in 0..255 (exposed for tests).
void random_brightness(float* x, int64_t n, double max_abs_change, Rng& rng);
void random_contrast(float* x, int64_t n, std::array<double, 2> range, Rng& rng);
void additive_gaussian_noise(float* x, int64_t n, std::array<double, 2> stddev_range, Rng& rng);
void additive_speckle_noise(float* x, int64_t n, std::array<double, 2> prob_range, Rng& rng);
void additive_shade(float* x, int64_t h, int64_t w, const PhotometricParams& p, Rng& rng);
void motion_blur(float* x, int64_t h, int64_t w, int max_kernel_size, Rng& rng);

}  // namespace sp::data
