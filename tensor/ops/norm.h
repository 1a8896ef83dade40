// Batch normalisation with PyTorch semantics (torch.nn.functional.batch_norm) over
// input [N, C, *]: statistics per channel over N and the trailing dims.
#pragma once

#include "tensor/tensor.h"

namespace sp {

struct BatchNormResult {
  Tensor output;
  Tensor save_mean;    // [C] batch mean
  Tensor save_invstd;  // [C] 1 / sqrt(biased batch variance + eps)
};

// Training mode: normalises with the batch statistics and, when running_mean and
// running_var are defined, updates them in place: r = (1 - momentum) * r + momentum * s,
// with the unbiased variance for running_var. weight and bias may be undefined.
BatchNormResult batch_norm_train(const Tensor& input, const Tensor& weight, const Tensor& bias,
                                 const Tensor& running_mean, const Tensor& running_var,
                                 double momentum = 0.1, double eps = 1e-5);
// Eval mode: normalises with the running statistics.
Tensor batch_norm_eval(const Tensor& input, const Tensor& weight, const Tensor& bias,
                       const Tensor& running_mean, const Tensor& running_var, double eps = 1e-5);
// Eval mode in place, then optionally ReLU, in one pass over contiguous x [N, C, *]:
//   x = relu?((x - running_mean) / sqrt(running_var + eps) * weight + bias)
// (inference after a convolution: nn/conv_batch_norm.h). weight and bias may be undefined.
void batch_norm_inference_(const Tensor& x, const Tensor& weight, const Tensor& bias,
                           const Tensor& running_mean, const Tensor& running_var, double eps,
                           bool relu);

struct BatchNormGrads {
  Tensor grad_input, grad_weight, grad_bias;
};
// Gradients of batch_norm_train given its saved statistics. With training = false the
// statistics are treated as constants (eval mode: pass running_mean and
// 1 / sqrt(running_var + eps)).
BatchNormGrads batch_norm_backward(const Tensor& grad_out, const Tensor& input,
                                   const Tensor& weight, const Tensor& save_mean,
                                   const Tensor& save_invstd, bool training = true);

namespace cpu {
// Contiguous input/output viewed as [N, C, S]; per-channel tensors are [C] (any stride,
// undefined where optional).
void batch_norm_stats(const Tensor& input, const Tensor& save_mean, const Tensor& save_invstd,
                      const Tensor& running_mean, const Tensor& running_var, double momentum,
                      double eps);
void batch_norm_invstd(const Tensor& invstd, const Tensor& var, double eps);
void batch_norm_apply(const Tensor& out, const Tensor& input, const Tensor& weight,
                      const Tensor& bias, const Tensor& mean, const Tensor& invstd);
// batch_norm_apply, then max(., 0); out may be input itself.
void batch_norm_apply_relu(const Tensor& out, const Tensor& input, const Tensor& weight,
                           const Tensor& bias, const Tensor& mean, const Tensor& invstd);
void batch_norm_backward(const Tensor& grad_in, const Tensor& grad_weight, const Tensor& grad_bias,
                         const Tensor& grad_out, const Tensor& input, const Tensor& weight,
                         const Tensor& mean, const Tensor& invstd, bool training);
}  // namespace cpu

}  // namespace sp
