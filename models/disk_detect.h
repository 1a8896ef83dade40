// DISK's inference detection (kornia 0.9.0 heatmap_to_keypoints, matchers.md Corrections
// 10): strict maxima of the heatmap over a full window, a score threshold, top-n with
// ties at the cut taken in raster order. The mask is one kernel on the heatmap's device
// (CPU loop, CUDA kernel); the selection runs on the CPU over the candidates.
#pragma once

#include <cstdint>
#include <vector>

#include "tensor/tensor.h"

namespace sp::models {

// heatmap [B, 1, Hp, Wp] (f32, contiguous, CPU or CUDA), of which the top-left
// height x width region is the image (the rest is padding, never looked at). Returns
// bool [B, Hp, Wp], true where the pixel's window of window x window pixels ((window -
// 1) / 2 before it, window / 2 after it, on each axis) lies inside the image, every
// other pixel of the window is strictly smaller, and the pixel is > threshold.
// height/width < 0 mean the full map.
Tensor disk_maxima_mask(const Tensor& heatmap, int64_t window, double threshold,
                        int64_t height = -1, int64_t width = -1);

// The indices of the candidates to keep, in increasing (raster) order: every one when
// n <= 0 or there are at most n; else the n with the largest scores, ties at the n-th
// score filled in index order (kornia: kthvalue, then cumsum over the tied ones).
std::vector<int64_t> top_n_in_order(const std::vector<float>& scores, int64_t n);

namespace detail {
// Kernels of disk_maxima_mask: heatmap [B, Hp, Wp] contiguous f32, mask [B, Hp, Wp] bool.
struct MaximaGeometry {
  int64_t batch, padded_height, padded_width, height, width, before, after;
  float threshold;
};
void disk_maxima_mask_cpu(const Tensor& mask, const Tensor& heatmap, const MaximaGeometry& g);
void disk_maxima_mask_cuda(const Tensor& mask, const Tensor& heatmap, const MaximaGeometry& g);
}  // namespace detail

}  // namespace sp::models
