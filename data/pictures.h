// Pictures for TensorBoard and the demo: detections drawn over the input image, a grid
// of such pictures, and PNG encoding to memory (TensorBoard image summaries).
#pragma once

#include <cstdint>
#include <vector>

#include "tensor/tensor.h"

namespace sp::data {

// A gray image [1, H, W] (or [H, W]) in [0, 1] as RGB [3, H, W], with ground-truth
// points `truth` [M, 2] (x, y) as green square rings (radius 3) and detections `keypoints` [N, 2]
// as red plus signs (either may be undefined). CPU f32 result.
Tensor draw_keypoints(const Tensor& image, const Tensor& keypoints, const Tensor& truth = Tensor());

// Images [C, H, W] of one size in a grid of `cols` columns with a 2-pixel white gap.
Tensor tile(const std::vector<Tensor>& images, int64_t cols);

// 8-bit PNG of [C, H, W] (C = 1 or 3) in [0, 1] (clamped, rounded), in memory.
std::vector<uint8_t> encode_png(const Tensor& image);

// The (x, y) positions [M, 2] f32 of the nonzero pixels of a label map [1, H, W] / [H, W].
Tensor label_points(const Tensor& labels);

}  // namespace sp::data
