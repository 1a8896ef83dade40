// Differentiable PReLU (tensor/ops/activation.h): x where x > 0, else weight[c] x with c
// the channel (dim 1), weight [C] or [1]. Both gradients come from one backward kernel.
#pragma once

#include "autograd/var.h"

namespace sp::ag {

Var prelu(const Var& x, const Var& weight);

}  // namespace sp::ag
