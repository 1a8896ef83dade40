// Winograd F(4x4, 3x3) forward convolution (f32, 3x3, stride 1, groups 1): the CPU
// conv2d forward takes it wherever winograd_applies says so.
#pragma once

#include "tensor/ops/conv.h"
#include "tensor/tensor.h"

namespace sp::cpu {

bool winograd_applies(const Tensor& input, const Shape& weight, const Conv2dArgs& args);
// Contiguous input [N, C, H, W], weight [O, C, 3, 3], out [N, O, Ho, Wo]; bias may be undefined.
void conv2d_winograd(const Tensor& out, const Tensor& input, const Tensor& weight, const Tensor& bias,
                     const Conv2dArgs& args);

}  // namespace sp::cpu
