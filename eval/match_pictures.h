// Match pictures: an image pair side by side (RGB PNG), keypoints as dots and matches as
// lines, green when ground truth says correct, red otherwise (speval --pictures).
#pragma once

#include <string>
#include <vector>

#include "eval/metrics.h"
#include "tensor/tensor.h"

namespace sp::eval {

// image1 [C, H1, W1], image2 [C, H2, W2] (C = 1 or 3, values in [0, 1]); keypoints and
// match ends in each image's pixels. Returns [3, max(H1, H2), W1 + kGap + W2] f32.
Tensor match_picture(const Tensor& image1, const Tensor& image2, const Points2& keypoints1,
                     const Points2& keypoints2, const Points2& matched1, const Points2& matched2,
                     const std::vector<uint8_t>& correct);

inline constexpr int64_t kMatchPictureGap = 8;  // white columns between the images

}  // namespace sp::eval
