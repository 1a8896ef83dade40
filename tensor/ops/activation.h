// Activation gradients in one pass, and PReLU (torch.nn.functional.prelu).
//   unary_backward: grad * f'(x) for the smooth unary ops of elementwise.h that
//     autograd differentiates through a kernel: sin, cos, log1p, expm1, softplus,
//     log_sigmoid, gelu, gelu_tanh (PyTorch's *_backward formulas).
//   prelu: x where x > 0, else weight[c] x, c the channel (dim 1; a tensor of rank < 2
//     has one channel); weight has C elements or one (shared).
// Floating dtypes; f16/bf16 compute in f32. Results are fresh contiguous tensors.
#pragma once

#include "tensor/ops/elementwise.h"

namespace sp {

// grad and x have one shape and dtype; params as passed to the forward op (softplus:
// a = beta, b = threshold).
Tensor unary_backward(UnaryOp op, const Tensor& grad, const Tensor& x,
                      const UnaryParams& params = {});

Tensor prelu(const Tensor& x, const Tensor& weight);
struct PreluGrads {
  Tensor grad_input;   // like x
  Tensor grad_weight;  // like weight: sum over everything but the channel of grad * x where x <= 0
};
PreluGrads prelu_backward(const Tensor& grad, const Tensor& x, const Tensor& weight);

// ---- kernels: contiguous tensors; x viewed as [N, C, S] with weight [C] (C = 1: shared).
namespace cpu {
void unary_backward(UnaryOp op, const Tensor& out, const Tensor& grad, const Tensor& x,
                    const UnaryParams& p);
void prelu(const Tensor& out, const Tensor& x, const Tensor& weight, int64_t N, int64_t C,
           int64_t S);
void prelu_backward(const Tensor& grad_input, const Tensor& grad_weight, const Tensor& grad,
                    const Tensor& x, const Tensor& weight, int64_t N, int64_t C, int64_t S);
}  // namespace cpu

}  // namespace sp
