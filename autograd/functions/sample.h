// Differentiable sampling (tensor/ops/sample.h): grid_sample with gradients for the
// input and the grid, bilinear/nearest interpolate.
#pragma once

#include "autograd/var.h"
#include "tensor/ops/sample.h"

namespace sp::ag {

// input [N, C, H, W], grid [N, Ho, Wo, 2] (x, y) in [-1, 1]; bilinear, zero padding.
Var grid_sample(const Var& input, const Var& grid, bool align_corners);
// Both modes are differentiable. Nearest sends each output's gradient to the source pixel
// PyTorch's (legacy) nearest picks, summing where several outputs share one.
Var interpolate(const Var& input, int64_t out_h, int64_t out_w, InterpMode mode,
                bool align_corners = false);

}  // namespace sp::ag
