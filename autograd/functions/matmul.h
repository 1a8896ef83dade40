// Differentiable matrix products (tensor/ops/matmul.h).
#pragma once

#include "autograd/var.h"

namespace sp::ag {

// torch.matmul: 1-D operands are promoted to matrices (and the added dim removed), batch
// dims broadcast; the gradient of a broadcast batch dim is summed back.
Var matmul(const Var& a, const Var& b);
// torch.nn.functional.linear: x [*, C] W^T + b, weight [O, C], bias [O] or undefined. One
// GEMM over the folded leading dims each way (no batch of small products, no [B, O, C]
// weight-gradient temporary): dW = g^T x, dx = g W, db = sum of g over the rows.
Var linear(const Var& x, const Var& weight, const Var& bias = {});

}  // namespace sp::ag
