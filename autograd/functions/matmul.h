// Differentiable matrix products (tensor/ops/matmul.h).
#pragma once

#include "autograd/var.h"

namespace sp::ag {

// torch.matmul: 1-D operands are promoted to matrices (and the added dim removed), batch
// dims broadcast; the gradient of a broadcast batch dim is summed back.
Var matmul(const Var& a, const Var& b);

}  // namespace sp::ag
