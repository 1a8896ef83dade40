// Fused CUDA kernels for hot paths: one pass over memory instead of two or three. Input [N, C, *]
// (any trailing dims; also [C, *] with no batch when rank 1+), per-channel parameters [C]; out may
// be the input itself (in place).
#pragma once

#include "tensor/tensor.h"

namespace sp::cuda {

// out = relu(in + bias[c]) (relu = false: just the broadcast bias add).
void bias_relu(const Tensor& out, const Tensor& in, const Tensor& bias, bool relu = true);
// Inference batch norm with running statistics, then optionally ReLU:
//   out = (in - mean[c]) / sqrt(var[c] + eps) * weight[c] + bias[c]
// weight and bias may be undefined (affine = false).
void batch_norm_inference(const Tensor& out, const Tensor& in, const Tensor& mean,
                          const Tensor& var, const Tensor& weight, const Tensor& bias, double eps,
                          bool relu);

// ReLU's gradient in one pass: grad where out > 0, else 0 (out = relu's output; NaN
// gives 0, like where(gt(out, 0), grad, 0)). Same shapes, any strides; returns a fresh
// contiguous tensor of grad's dtype.
Tensor relu_backward(const Tensor& grad, const Tensor& out);

// Per-channel sums of contiguous grad [N, C, *] into channel_sum [C] (contiguous), the
// bias gradient of a convolution; with `out` defined (relu's output, like grad) it first
// applies the ReLU gradient, writing grad_in = grad * (out > 0) in the same pass and
// summing that. Deterministic: partial sums per (channel, image slice), then an ordered
// finish. f32/f64.
void relu_backward_channel_sum(const Tensor& grad_in, const Tensor& channel_sum, const Tensor& grad,
                               const Tensor& out);

}  // namespace sp::cuda
