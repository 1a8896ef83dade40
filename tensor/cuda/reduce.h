// CUDA reductions, scans and softmax. The public ops (tensor/ops/reduce.h, softmax.h)
// check arguments, wrap dims and allocate; these run the kernels. Inputs may have any
// strides; results are written into `out` (any strides) converted to its dtype.
// Accumulation: f64 in double, f32/f16/bf16 in float, integers and bool in int64.
#pragma once

#include <vector>

#include "tensor/tensor.h"

namespace sp::cuda {

enum class ReduceOp {
  Sum,
  Mean,
  Prod,
  Max,
  Min,   // Max/Min propagate NaN
  Norm,  // param: p (2, 1, inf, -inf, 0 = count of non-zeros, or any p)
  Var,
  Std,  // param: correction (1 = unbiased)
  LogSumExp,
  Any,
  All,
};

// Reduces `in` over `dims` (wrapped, unique, any order). out has the kept dims in order
// (keepdim or not: only its numel and row-major order matter).
void reduce(ReduceOp op, const Tensor& out, const Tensor& in, const std::vector<int>& dims,
            double param = 0.0);
// Max (is_max) or min of `in` along `dim` and the index of its first occurrence
// (NaN counts as the extreme). values may be undefined (argmax/argmin); indices are i64.
void arg_reduce(bool is_max, const Tensor& values, const Tensor& indices, const Tensor& in,
                int dim);
// Inclusive prefix sum along dim (out has in's shape).
void cumsum(const Tensor& out, const Tensor& in, int dim);
// softmax / log_softmax along dim (out has in's shape and a floating dtype).
void softmax(const Tensor& out, const Tensor& in, int dim, bool log);
// Gradient of softmax (log = false) or log_softmax (log = true) given its output.
void softmax_backward(const Tensor& grad_in, const Tensor& grad_out, const Tensor& output, int dim,
                      bool log);

}  // namespace sp::cuda
