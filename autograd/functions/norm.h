// Differentiable normalisation: batch_norm (torch.nn.functional.batch_norm over
// [N, C, *], kernels of tensor/ops/norm.h), layer_norm, group_norm and instance_norm (one
// fused kernel each way, tensor/ops/group_norm.h) and normalize
// (torch.nn.functional.normalize).
#pragma once

#include <vector>

#include "autograd/var.h"
#include "tensor/ops/group_norm.h"
#include "tensor/ops/norm.h"

namespace sp::ag {

// weight and bias ([C]) may be undefined. In training the batch statistics normalise
// and, when running_mean/running_var are defined, the buffers are updated in place:
// r = (1 - momentum) r + momentum s (unbiased variance for running_var); undefined
// buffers mean no tracking. In eval the running statistics normalise (both required)
// and are constants for the gradient.
Var batch_norm(const Var& x, const Var& weight, const Var& bias, Tensor running_mean,
               Tensor running_var, bool training, double momentum, double eps);

// torch.nn.functional.layer_norm: over the trailing dims normalized_shape; weight and bias
// of that shape, or undefined.
Var layer_norm(const Var& x, const std::vector<int64_t>& normalized_shape, const Var& weight,
               const Var& bias, double eps = 1e-5);
// torch.nn.functional.group_norm over x [N, C, *]; weight and bias [C] or undefined.
Var group_norm(const Var& x, int64_t groups, const Var& weight, const Var& bias, double eps = 1e-5);
// torch.nn.functional.instance_norm with no running statistics (use_input_stats): each
// (sample, channel) normalised over its spatial dims; weight and bias [C] or undefined.
Var instance_norm(const Var& x, const Var& weight, const Var& bias, double eps = 1e-5);

// x / max(||x||_p, eps), the norm taken along dim.
Var normalize(const Var& x, double p = 2.0, int64_t dim = 1, double eps = 1e-12);

}  // namespace sp::ag
