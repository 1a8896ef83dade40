// Per-sample normalisation, one fused kernel forward and one backward (CPU and CUDA):
//   group_norm    torch.nn.functional.group_norm: x [N, C, *], statistics per (sample,
//                 group of C / G channels), affine weight/bias [C];
//   instance_norm torch.nn.functional.instance_norm without running statistics (DISK's
//                 U-Net): group_norm with one group per channel;
//   layer_norm    torch.nn.functional.layer_norm: statistics over the trailing dims given
//                 by normalized_shape, affine weight/bias of that shape.
// All three are one kernel over x viewed as [N, C, S] with G groups (layer_norm: N = the
// leading elements, C = the normalised elements, S = 1, G = 1). Biased variance; weight
// and bias may be undefined. f32, f64, f16, bf16 (these compute in f32); mean and rstd
// are f64 for f64 input, f32 otherwise.
#pragma once

#include <vector>

#include "tensor/tensor.h"

namespace sp {

struct GroupNormResult {
  Tensor output;  // like x
  Tensor mean;    // [N, G]
  Tensor rstd;    // [N, G]: 1 / sqrt(var + eps)
};
struct GroupNormGrads {
  Tensor grad_input, grad_weight, grad_bias;  // grad_weight/grad_bias: see affine_grads below
};

GroupNormResult group_norm(const Tensor& x, int64_t groups, const Tensor& weight,
                           const Tensor& bias, double eps = 1e-5);
GroupNormResult instance_norm(const Tensor& x, const Tensor& weight, const Tensor& bias,
                              double eps = 1e-5);
GroupNormResult layer_norm(const Tensor& x, const std::vector<int64_t>& normalized_shape,
                           const Tensor& weight, const Tensor& bias, double eps = 1e-5);

// Gradients from the saved mean and rstd; weight may be undefined (no affine scale).
// grad_weight and grad_bias (sum of grad * xhat, sum of grad) are computed when
// affine_grads, else left undefined.
GroupNormGrads group_norm_backward(const Tensor& grad, const Tensor& x, int64_t groups,
                                   const Tensor& weight, const Tensor& mean, const Tensor& rstd,
                                   bool affine_grads = true);
GroupNormGrads layer_norm_backward(const Tensor& grad, const Tensor& x,
                                   const std::vector<int64_t>& normalized_shape,
                                   const Tensor& weight, const Tensor& mean, const Tensor& rstd,
                                   bool affine_grads = true);

// ---- kernels: x, grad, out contiguous [N, C, S]; weight, bias contiguous [C] or undefined;
// mean, rstd contiguous [N, G] (f64 for f64 x, else f32); grad_weight/grad_bias [C] or
// undefined (then not computed).
struct GroupNormDims {
  int64_t n, c, s, g;
};
namespace cpu {
void group_norm(const Tensor& out, const Tensor& mean, const Tensor& rstd, const Tensor& x,
                const Tensor& weight, const Tensor& bias, GroupNormDims d, double eps);
void group_norm_backward(const Tensor& grad_input, const Tensor& grad_weight,
                         const Tensor& grad_bias, const Tensor& grad, const Tensor& x,
                         const Tensor& weight, const Tensor& mean, const Tensor& rstd,
                         GroupNormDims d);
}  // namespace cpu

}  // namespace sp
