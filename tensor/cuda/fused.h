// Fused CUDA kernels for inference hot paths: one pass over memory instead of two or
// three. Input [N, C, *] (any trailing dims; also [C, *] with no batch when rank 1+),
// per-channel parameters [C]; out may be the input itself (in place).
#pragma once

#include "tensor/tensor.h"

namespace sp::cuda {

// out = relu(in + bias[c]) (relu = false: just the broadcast bias add).
void bias_relu(const Tensor& out, const Tensor& in, const Tensor& bias, bool relu = true);
// Inference batch norm with running statistics, then optionally ReLU:
//   out = (in - mean[c]) / sqrt(var[c] + eps) * weight[c] + bias[c]
// weight and bias may be undefined (affine = false).
void batch_norm_inference(const Tensor& out, const Tensor& in, const Tensor& mean, const Tensor& var,
                          const Tensor& weight, const Tensor& bias, double eps, bool relu);

}  // namespace sp::cuda
