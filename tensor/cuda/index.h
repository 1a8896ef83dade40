// CUDA kernels for index_select, gather, scatter_add, index_add (index.cu), sort/topk
// (sort.cu), nonzero, masked_select and one_hot (select.cu) with the contracts of
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

// sort.cu: the contract of sp::cpu::sort (t contiguous [outer, n, inner], values and
// indices contiguous [outer, k, inner]); stable, NaN largest, ties in input order.
void sort(const Tensor& values, const Tensor& indices, const Tensor& t, int dim, bool descending,
          int64_t k);
// select.cu: row-major order like the CPU; masked_select takes t and mask expanded to one
// shape. Both synchronize once to learn the output size. one_hot writes 1s into a
// zero-filled contiguous out [*, num_classes].
Tensor nonzero(const Tensor& t);
Tensor masked_select(const Tensor& t, const Tensor& mask);
void one_hot(const Tensor& out, const Tensor& indices, int64_t num_classes);

}  // namespace sp::cuda
