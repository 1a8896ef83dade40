// CUDA entry points with the signatures of the sp::cpu reduction and softmax kernels
// (tensor/ops/reduce.h, softmax.h): `in` contiguous as [outer, size, inner], reduced
// over the middle dim. They run the kernels of tensor/cuda/reduce.h.
#pragma once

#include "tensor/ops/reduce.h"
#include "tensor/ops/softmax.h"

namespace sp::cuda {

void reduce(sp::ReduceOp op, const Tensor& out, const Tensor& in, int64_t outer, int64_t size,
            int64_t inner, double p);
void arg_reduce(bool is_max, const Tensor& values, const Tensor& indices, const Tensor& in,
                int64_t outer, int64_t size, int64_t inner);
void cumsum(const Tensor& out, const Tensor& in, int64_t outer, int64_t size, int64_t inner);
void softmax(const Tensor& out, const Tensor& in, int64_t outer, int64_t size, int64_t inner,
             bool log);

}  // namespace sp::cuda
