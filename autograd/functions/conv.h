// Differentiable 2-D convolution (tensor/ops/conv.h): gradients for input, weight and
// bias from the backward kernels.
#pragma once

#include "autograd/var.h"
#include "tensor/ops/conv.h"

namespace sp::ag {

// x [N, C, H, W], w [out, C/groups, kh, kw], b [out] or undefined.
Var conv2d(const Var& x, const Var& w, const Var& b = {}, const Conv2dArgs& args = {});
Var conv2d(const Var& x, const Var& w, const Var& b, std::array<int64_t, 2> stride, std::array<int64_t, 2> padding,
           std::array<int64_t, 2> dilation = {1, 1}, int64_t groups = 1);

}  // namespace sp::ag
