// Differentiable indexing (tensor/ops/index.h): index_select, gather. Indices carry no
// gradient; repeated indices accumulate (index_add / scatter_add in backward).
#pragma once

#include "autograd/var.h"
#include "tensor/ops/index.h"

namespace sp::ag {

Var index_select(const Var& x, int64_t dim, const Tensor& indices);
Var gather(const Var& x, int64_t dim, const Tensor& index);

}  // namespace sp::ag
