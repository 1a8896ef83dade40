// Differentiable softmax and log_softmax along one dim (tensor/ops/softmax.h). The
// backward uses only the saved output: y * (g - sum(g * y)) and g - exp(y) * sum(g).
#pragma once

#include "autograd/var.h"

namespace sp::ag {

Var softmax(const Var& x, int64_t dim);
Var log_softmax(const Var& x, int64_t dim);

}  // namespace sp::ag
