// CUDA max/avg pooling kernels with the contracts of the sp::cpu pooling kernels in
// tensor/ops/pool.h (contiguous [planes, H, W] tensors, geometry resolved, grad_in
// zero-filled). Backward kernels accumulate with atomicAdd.
#pragma once

#include "tensor/ops/pool.h"

namespace sp::cuda {

void max_pool2d(const Tensor& values, const Tensor& indices, const Tensor& input,
                const cpu::PoolGeometry& g);
void max_pool2d_backward(const Tensor& grad_in, const Tensor& grad_out, const Tensor& indices,
                         int64_t planes);
void avg_pool2d(const Tensor& out, const Tensor& input, const cpu::PoolGeometry& g);
void avg_pool2d_backward(const Tensor& grad_in, const Tensor& grad_out, const cpu::PoolGeometry& g);

}  // namespace sp::cuda
