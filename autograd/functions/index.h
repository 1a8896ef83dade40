// Differentiable indexing (tensor/ops/index.h): index_select, gather, scatter_add,
// index_add, masked_select, sort, topk. Indices and masks carry no gradient; repeated
// indices accumulate (index_add / scatter_add in backward).
#pragma once

#include <utility>

#include "autograd/var.h"
#include "tensor/ops/index.h"

namespace sp::ag {

Var index_select(const Var& x, int64_t dim, const Tensor& indices);
Var gather(const Var& x, int64_t dim, const Tensor& index);
// x with src[i][j] added at x[index[i][j]][j] (dim 0). Gradients: x gets the output's,
// src gets it gathered at index (0 for src elements beyond index's extent).
Var scatter_add(const Var& x, int64_t dim, const Tensor& index, const Var& src);
// x with alpha * src.select(dim, i) added at x.select(dim, indices[i]). Gradients: x gets
// the output's, src gets alpha * index_select of it.
Var index_add(const Var& x, int64_t dim, const Tensor& indices, const Var& src, double alpha = 1.0);
// The elements of x where the (bool, broadcastable) mask is true, 1-D; the gradient goes
// back to the selected positions (summed over dims that x was broadcast along).
Var masked_select(const Var& x, const Tensor& mask);
// torch.sort / torch.topk: the values (differentiable) and their i64 indices along dim.
// The values' gradient goes back to the input positions the indices name (scatter_add
// into zeros; the indices are distinct per slice) and is 0 for elements topk drops.
std::pair<Var, Tensor> sort(const Var& x, int64_t dim = -1, bool descending = false);
std::pair<Var, Tensor> topk(const Var& x, int64_t k, int64_t dim = -1, bool largest = true);

}  // namespace sp::ag
