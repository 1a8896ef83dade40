// Winograd F(4x4, 3x3) convolution (f32, 3x3, stride 1, groups 1): the CPU conv2d
// forward, input gradient and weight gradient take it wherever winograd_applies
// (winograd_applies_to_backward_input for the input gradient) says so.
#pragma once

#include "tensor/ops/conv.h"
#include "tensor/tensor.h"

namespace sp::cpu {

bool winograd_applies(const Tensor& input, const Shape& weight, const Conv2dArgs& args);

// How the work is shared among threads: whole groups of 32 output tiles, or (group,
// output-channel block) items after a shared input transform. Auto picks by the number of
// groups; tests force each.
enum class WinogradSplit { Auto, Groups, GroupsAndOutputChannels };

// Contiguous input [N, C, H, W], weight [O, C, 3, 3], out [N, O, Ho, Wo]; bias may be undefined.
void conv2d_winograd(const Tensor& out, const Tensor& input, const Tensor& weight,
                     const Tensor& bias, const Conv2dArgs& args,
                     WinogradSplit split = WinogradSplit::Auto);

// The input gradient through the same path (f32, 3x3, stride 1, padding 0 or 1, groups 1,
// >= 16 channels): grad_in [N, C, H, W] is overwritten; grad_out and weight are contiguous.
bool winograd_applies_to_backward_input(const Tensor& grad_out, const Shape& weight,
                                        const Conv2dArgs& args);
void conv2d_winograd_backward_input(const Tensor& grad_in, const Tensor& grad_out,
                                    const Tensor& weight, const Conv2dArgs& args);
// The weight gradient where winograd_applies(input, weight shape, args): grad_w [O, C, 3, 3]
// is overwritten; grad_out and input are contiguous.
void conv2d_winograd_backward_weight(const Tensor& grad_w, const Tensor& grad_out,
                                     const Tensor& input, const Conv2dArgs& args);

}  // namespace sp::cpu
