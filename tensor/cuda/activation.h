// CUDA kernels of tensor/ops/activation.h, same contracts as the sp::cpu ones.
#pragma once

#include "tensor/ops/activation.h"

namespace sp::cuda {

void unary_backward(UnaryOp op, const Tensor& out, const Tensor& grad, const Tensor& x,
                    const UnaryParams& p);
void prelu(const Tensor& out, const Tensor& x, const Tensor& weight, int64_t N, int64_t C,
           int64_t S);
void prelu_backward(const Tensor& grad_input, const Tensor& grad_weight, const Tensor& grad,
                    const Tensor& x, const Tensor& weight, int64_t N, int64_t C, int64_t S);

}  // namespace sp::cuda
