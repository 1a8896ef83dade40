// Differentiable 2-D pooling (tensor/ops/pool.h): max_pool2d (the gradient goes to the
// argmax of each window) and avg_pool2d. Input [N, C, H, W] or [C, H, W].
#pragma once

#include "autograd/var.h"
#include "tensor/ops/pool.h"

namespace sp::ag {

Var max_pool2d(const Var& x, const Pool2dArgs& args);
Var avg_pool2d(const Var& x, const Pool2dArgs& args);

}  // namespace sp::ag
