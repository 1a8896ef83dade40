// Differentiable views and layout changes (Tensor view methods with a gradient).
#pragma once

#include <vector>

#include "autograd/var.h"

namespace sp::ag {

Var reshape(const Var& x, const Shape& shape);  // -1 infers one dim
Var flatten(const Var& x, int64_t start_dim = 0, int64_t end_dim = -1);
Var permute(const Var& x, const std::vector<int64_t>& dims);
Var transpose(const Var& x, int64_t d0, int64_t d1);
Var slice(const Var& x, int64_t dim, int64_t start, int64_t end, int64_t step = 1);
Var narrow(const Var& x, int64_t dim, int64_t start, int64_t length);
Var select(const Var& x, int64_t dim, int64_t index);
Var squeeze(const Var& x, int64_t dim);
Var unsqueeze(const Var& x, int64_t dim);
Var contiguous(const Var& x);
// Broadcast view; its gradient sums over the expanded dims.
Var expand(const Var& x, const Shape& shape);

}  // namespace sp::ag
