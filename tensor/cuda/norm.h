// CUDA batch-norm kernels with the contracts of the sp::cpu kernels in tensor/ops/norm.h
// (contiguous input viewed as [N, C, S]; per-channel tensors [C] with any stride,
// undefined where optional). Per-channel sums accumulate in double, like the CPU.
#pragma once

#include "tensor/ops/norm.h"

namespace sp::cuda {

void batch_norm_stats(const Tensor& input, const Tensor& save_mean, const Tensor& save_invstd,
                      const Tensor& running_mean, const Tensor& running_var, double momentum,
                      double eps);
void batch_norm_invstd(const Tensor& invstd, const Tensor& var, double eps);
void batch_norm_apply(const Tensor& out, const Tensor& input, const Tensor& weight,
                      const Tensor& bias, const Tensor& mean, const Tensor& invstd);
void batch_norm_backward(const Tensor& grad_in, const Tensor& grad_weight, const Tensor& grad_bias,
                         const Tensor& grad_out, const Tensor& input, const Tensor& weight,
                         const Tensor& mean, const Tensor& invstd, bool training);

}  // namespace sp::cuda
