// SuperPoint's detector decoding and descriptor sampling, on heatmaps and descriptor
// maps already computed by a network (superpoint.md sections 4.3, 4.4, 5.1 and 8).
// CPU reference implementations on f32 tensors.
#pragma once

#include <cstdint>
#include <vector>

#include "tensor/tensor.h"

namespace sp::models {

inline constexpr int kCell = 8;  // SuperPoint's cell size (block of depth-to-space)

// [B, 65, Hc, Wc] detector logits -> [B, 8Hc, 8Wc] probabilities: softmax over the 65
// channels, drop the dustbin (channel 64), depth-to-space with channel k = dy*8 + dx.
Tensor detector_heatmap(const Tensor& logits);

struct Keypoints {
  Tensor xy;      // [N, 2] f32, (x, y) in pixels, integer positions of the heatmap grid
  Tensor scores;  // [N] f32, descending
};

struct DetectOptions {
  float threshold = 0.015f;  // keep heat >= threshold
  int nms_radius = 4;        // grid NMS: suppress Chebyshev distance <= radius; 0 = off
  int border = 4;            // drop points with x < border, x >= W - border (same for y)
  int top_k = -1;            // keep the k best after NMS; -1 = all
};

// Grid ("fast") NMS of the official demo on one [H, W] heatmap, then border removal and
// top-k. Ties in confidence are broken by position (row-major) so results are stable.
Keypoints extract_keypoints(const Tensor& heatmap, const DetectOptions& options);

// Bilinear sampling of a [D, Hc, Wc] descriptor map at pixel positions xy [N, 2], with
// the exact cell-centre mapping u = (x - 3.5) / 8 (cell i is centred on pixel 8i + 3.5),
// clamped to the map; each descriptor is L2-normalized. Returns [N, D].
Tensor sample_descriptors(const Tensor& descriptors, const Tensor& xy);

// Binary [H, W] keypoint map with 1 at round(p), clamped to the image (superpoint.md 5.1).
Tensor keypoint_map(const Tensor& xy, int64_t height, int64_t width);

// [H, W] (soft) keypoint map -> [65, H/8, W/8] soft targets of the [PS] detector loss:
// space-to-depth, dustbin = 1 for empty cells only, normalized per cell.
Tensor cell_targets(const Tensor& keypoint_map);

}  // namespace sp::models
