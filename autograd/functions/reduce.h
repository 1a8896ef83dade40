// Differentiable reductions (tensor/ops/reduce.h). `dims` lists the reduced dims
// (negative allowed; empty = every dim), keepdim keeps them as size 1. Gradients follow
// PyTorch: amax/amin (and norm with p = +-inf) split the gradient evenly among ties,
// max/min(x, dim) send it to the returned index only, norm with p = 2 and std_dev give 0
// where the norm (std) is 0, prod is exact with zeros in x.
#pragma once

#include <utility>

#include "autograd/var.h"
#include "tensor/ops/reduce.h"

namespace sp::ag {

Var sum(const Var& x, const DimList& dims = {}, bool keepdim = false);
// Product. Gradient like PyTorch's, exact with zeros: with none, prod / x; with one zero in
// a reduced group, the product of the others at the zero and 0 elsewhere; with several, 0.
Var prod(const Var& x, const DimList& dims = {}, bool keepdim = false);
Var mean(const Var& x, const DimList& dims = {}, bool keepdim = false);
// Variance with divisor N - correction (1 = unbiased, PyTorch's default).
Var var(const Var& x, const DimList& dims = {}, double correction = 1.0, bool keepdim = false);
// Standard deviation, sqrt(var); the gradient is 0 where the std is 0 (PyTorch's mask).
Var std_dev(const Var& x, const DimList& dims = {}, double correction = 1.0, bool keepdim = false);
Var amax(const Var& x, const DimList& dims = {}, bool keepdim = false);
Var amin(const Var& x, const DimList& dims = {}, bool keepdim = false);
Var logsumexp(const Var& x, const DimList& dims, bool keepdim = false);
// Vector p-norm (p = 2, 1, +-INFINITY, 0 or any other p > 0).
Var norm(const Var& x, double p = 2.0, const DimList& dims = {}, bool keepdim = false);
// torch.max(x, dim): the values (differentiable) and their i64 indices.
std::pair<Var, Tensor> max(const Var& x, int64_t dim, bool keepdim = false);
// torch.min(x, dim): the same for the minimum (ties: the first index gets the gradient).
std::pair<Var, Tensor> min(const Var& x, int64_t dim, bool keepdim = false);
// Inclusive prefix sum along dim; the gradient is the reversed prefix sum of the output's.
Var cumsum(const Var& x, int64_t dim);

}  // namespace sp::ag
