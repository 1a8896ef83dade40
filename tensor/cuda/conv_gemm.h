// 1x1 convolutions (stride 1, no padding, one group) as cuBLAS GEMMs over the NCHW
// layout: per image, out[O, HW] = W[O, C] x[C, HW]. cuDNN's choice for these shapes runs
// 2-3x slower than a strided-batched GEMM. Same contracts as tensor/cuda/conv.h.
#pragma once

#include "tensor/ops/conv.h"

namespace sp::cuda {

// True when the convolution of `weight_shape` with `args` is a plain channel mix.
bool is_pointwise_conv(const Shape& weight_shape, const Conv2dArgs& args);

void conv1x1_forward(const Tensor& out, const Tensor& input, const Tensor& weight,
                     const Tensor& bias);
void conv1x1_backward_input(const Tensor& grad_in, const Tensor& grad_out, const Tensor& weight);
void conv1x1_backward_weight(const Tensor& grad_weight, const Tensor& grad_out,
                             const Tensor& input);

}  // namespace sp::cuda
