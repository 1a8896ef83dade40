// SuperPoint's detector decoding and descriptor sampling with tensor ops, on the device
// the predictions live on (superpoint.md sections 4.3, 4.4, 8). keypoints.h holds the
// plain CPU references these are tested against.
#pragma once

#include <string>
#include <vector>

#include "models/keypoints.h"
#include "tensor/tensor.h"

namespace sp::models {

enum class NmsKind {
  MaxPool,  // [SG] simple_nms: max-pool equality + 2 recovery rounds, on the device
  Grid,     // [ML] grid "fast" NMS (extract_keypoints), on the CPU
};
// "maxpool" or "grid"; other names throw listing both.
NmsKind nms_kind(const std::string& name);

struct DetectConfig {
  DetectOptions options;  // threshold (keep >=), nms_radius, border, top_k
  NmsKind nms = NmsKind::MaxPool;
};

struct Detections {
  Tensor keypoints;    // [N, 2] f32 (x, y) pixels, by descending score (ties: row-major)
  Tensor scores;       // [N] f32
  Tensor descriptors;  // [N, D] L2-normalised; undefined without a descriptor map
};

// Logits [B, 65, Hc, Wc] -> heatmap [B, 1, 8Hc, 8Wc]: softmax over the 65 channels, drop
// the dustbin, depth-to-space (channel k = dy * 8 + dx). Stays on the logits' device.
Tensor detector_probabilities(const Tensor& logits);

// [SG] simple_nms on heatmaps [B, 1, H, W]: a pixel survives when it equals the max of
// its (2r+1)^2 window; two more rounds recover maxima outside the suppressed zones.
// Returns the heatmap with suppressed pixels set to 0. radius 0 returns it unchanged.
Tensor maxpool_nms(const Tensor& heatmap, int64_t radius);

// sample_descriptors of keypoints.h with tensor ops (grid_sample, align_corners, the
// exact cell-centre mapping u = (x - 3.5) / 8 clamped to the map): descriptors
// [D, Hc, Wc], xy [N, 2] -> [N, D], L2-normalised, on the descriptors' device.
Tensor sample_descriptors_device(const Tensor& descriptors, const Tensor& xy);

// Per image: heatmap, NMS, threshold, border, top-k, descriptors (when `descriptors`
// [B, D, Hc, Wc] is defined). MaxPool runs on the logits' device; Grid copies each
// heatmap to the CPU. Results are on the logits' device.
std::vector<Detections> detect(const Tensor& logits, const Tensor& descriptors,
                               const DetectConfig& config);

}  // namespace sp::models
