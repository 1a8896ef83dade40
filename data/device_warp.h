// Batched homographic warps on the device where the batch lives (GPU augmentation),
// built from tensor ops that have CUDA kernels (matmul, grid_sample, conv2d). They give
// the same images and masks as data/homography.h's CPU warps (warp_image, valid_masks),
// so a pipeline can sample homographies on the CPU and warp on the GPU.
#pragma once

#include <cstdint>

#include "tensor/tensor.h"

namespace sp::data {

// images [B, C, H, W] f32, homographies [B, 3, 3] (pixel frame, output -> input, f32
// or f64; the projection runs in their dtype) on the same device. Bilinear with zero
// padding: out[b](p) = images[b](H_b p). Returns [B, C, H, W].
Tensor warp_batch(const Tensor& images, const Tensor& homographies);

// Valid masks [B, 1, H, W] f32 on the homographies' device: the nearest-sampled warp of
// an all-ones image, eroded with OpenCV's 2r x 2r ellipse element (spec 2.5), exactly
// as valid_masks() computes them on the CPU.
Tensor valid_mask_batch(int64_t height, int64_t width, const Tensor& homographies,
                        int erosion_radius);

// Source pixel positions [B, H, W, 2] (x, y) of every output pixel: H_b (x, y, 1).
Tensor homography_source_positions(const Tensor& homographies, int64_t height, int64_t width);

}  // namespace sp::data
