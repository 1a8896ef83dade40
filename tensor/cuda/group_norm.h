// CUDA kernels of tensor/ops/group_norm.h, same contracts as the sp::cpu ones.
#pragma once

#include "tensor/ops/group_norm.h"

namespace sp::cuda {

void group_norm(const Tensor& out, const Tensor& mean, const Tensor& rstd, const Tensor& x,
                const Tensor& weight, const Tensor& bias, GroupNormDims d, double eps);
void group_norm_backward(const Tensor& grad_input, const Tensor& grad_weight,
                         const Tensor& grad_bias, const Tensor& grad, const Tensor& x,
                         const Tensor& weight, const Tensor& mean, const Tensor& rstd,
                         GroupNormDims d);

}  // namespace sp::cuda
