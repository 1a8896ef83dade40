// softmax and log_softmax along one dim (PyTorch's torch.softmax / log_softmax),
// numerically stable (the max is subtracted first). Floating dtypes only; f16/bf16
// compute in f32. A row that is all -inf gives NaN, like PyTorch.
#pragma once

#include "tensor/tensor.h"

namespace sp {

Tensor softmax(const Tensor& x, int64_t dim);
Tensor log_softmax(const Tensor& x, int64_t dim);

// ---- kernels: `in` is contiguous, read as [outer, size, inner] with the softmax over
// the middle dim; `out` is contiguous with in's shape and dtype. The public ops
// dispatch on the device in tensor/ops/softmax.cpp (run_softmax).
namespace cpu {
void softmax(const Tensor& out, const Tensor& in, int64_t outer, int64_t size, int64_t inner,
             bool log);
}  // namespace cpu

}  // namespace sp
