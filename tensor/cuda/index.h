// CUDA kernels for index_select, gather, scatter_add and index_add with the contracts of
// the sp::cpu kernels in tensor/ops/index.h (any strides; out contiguous where the CPU
// kernel writes a fresh tensor). Out-of-range indices raise the CPU kernels' error
// ("expected indices in [0, size), got v"); checking costs one small device-to-host copy.
#pragma once

#include "tensor/tensor.h"

namespace sp::cuda {

void index_select(const Tensor& out, const Tensor& t, int dim, const Tensor& indices);
void gather(const Tensor& out, const Tensor& t, int dim, const Tensor& index);
// Atomic accumulation (f32, f64, f16, bf16, i32, i64): the summation order of colliding
// indices is not fixed, so float results may differ from the CPU in the last bits.
void scatter_add(const Tensor& t, int dim, const Tensor& index, const Tensor& src);
void index_add(const Tensor& t, int dim, const Tensor& indices, const Tensor& src, double alpha);

}  // namespace sp::cuda
