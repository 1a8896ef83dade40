// Differentiable normalisation: batch_norm (torch.nn.functional.batch_norm over
// [N, C, *], kernels of tensor/ops/norm.h) and normalize (torch.nn.functional.normalize).
#pragma once

#include "autograd/var.h"
#include "tensor/ops/norm.h"

namespace sp::ag {

// weight and bias ([C]) may be undefined. In training the batch statistics normalise
// and, when running_mean/running_var are defined, the buffers are updated in place:
// r = (1 - momentum) r + momentum s (unbiased variance for running_var); undefined
// buffers mean no tracking. In eval the running statistics normalise (both required)
// and are constants for the gradient.
Var batch_norm(const Var& x, const Var& weight, const Var& bias, Tensor running_mean, Tensor running_var,
               bool training, double momentum, double eps);

// x / max(||x||_p, eps), the norm taken along dim.
Var normalize(const Var& x, double p = 2.0, int64_t dim = 1, double eps = 1e-12);

}  // namespace sp::ag
