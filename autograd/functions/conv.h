// Differentiable 2-D convolution (tensor/ops/conv.h): gradients for input, weight and
// bias from the backward kernels.
#pragma once

#include "autograd/var.h"
#include "tensor/ops/conv.h"

namespace sp::ag {

// x [N, C, H, W], w [out, C/groups, kh, kw], b [out] or undefined.
Var conv2d(const Var& x, const Var& w, const Var& b = {}, const Conv2dArgs& args = {});
Var conv2d(const Var& x, const Var& w, const Var& b, std::array<int64_t, 2> stride,
           std::array<int64_t, 2> padding, std::array<int64_t, 2> dilation = {1, 1},
           int64_t groups = 1);

// relu(conv2d(x, w, b)) with the bias and the ReLU applied in one pass over the output
// on CUDA (fused kernel) and the ReLU gradient fused into the backward; same values and
// gradients as the composition. b may be undefined.
Var conv2d_relu(const Var& x, const Var& w, const Var& b = {}, const Conv2dArgs& args = {});

}  // namespace sp::ag
