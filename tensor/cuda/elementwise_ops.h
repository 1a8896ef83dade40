// CUDA entry points with the signatures of the sp::cpu elementwise kernels
// (tensor/ops/elementwise.h), so the public ops dispatch to either with the same
// arguments. They map the op enums onto the kernels of tensor/cuda/elementwise.h.
#pragma once

#include "tensor/cuda/elementwise.h"
#include "tensor/ops/elementwise.h"

namespace sp::cuda {

void binary(sp::BinaryOp op, const Tensor& out, const Tensor& a, const Tensor& b, double alpha);
void binary_scalar(sp::BinaryOp op, const Tensor& out, const Tensor& a, double scalar,
                   bool scalar_first);
void unary(sp::UnaryOp op, const Tensor& out, const Tensor& x, const UnaryParams& params);
// where(out, cond, a, b) is declared in tensor/cuda/elementwise.h with the CPU signature.

}  // namespace sp::cuda
