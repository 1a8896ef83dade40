// CUDA 2-D convolution through cuDNN: same contracts as the sp::cpu conv kernels in
// tensor/ops/conv.h (NCHW, contiguous tensors, shapes already checked, bias may be
// undefined; outputs are overwritten). f32 (TF32 only after set_allow_tf32(true)) and
// f64. The algorithm for each (shape, dtype, direction) is chosen once by cuDNN's
// heuristics (Get*_v7) and cached.
#pragma once

#include "tensor/ops/conv.h"

namespace sp::cuda {

void conv2d_forward(const Tensor& out, const Tensor& input, const Tensor& weight,
                    const Tensor& bias, const Conv2dArgs& args);
void conv2d_backward_input(const Tensor& grad_in, const Tensor& grad_out, const Tensor& weight,
                           const Conv2dArgs& args);
void conv2d_backward_weight(const Tensor& grad_weight, const Tensor& grad_out, const Tensor& input,
                            const Conv2dArgs& args);
void conv2d_backward_bias(const Tensor& grad_bias, const Tensor& grad_out);

}  // namespace sp::cuda
