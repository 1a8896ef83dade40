// CUDA matrix products through cuBLAS (cublasGemmStridedBatchedEx). Same contract as
// sp::cpu::matmul_batched: out[..., M, N] = a[..., M, K] * b[..., K, N], a and b
// already expanded to out's batch shape (any strides, 0 along broadcast dims), out
// contiguous. f32 (TF32 tensor cores only after sp::cuda::set_allow_tf32(true)), f64,
// f16 and bf16 (f32 accumulation).
#pragma once

#include "tensor/tensor.h"

namespace sp::cuda {

void matmul_batched(const Tensor& out, const Tensor& a, const Tensor& b);

}  // namespace sp::cuda
