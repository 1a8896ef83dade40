// Matrix products with PyTorch semantics: matmul (1-D, 2-D and batched with broadcast
// batch dims), mm and bmm. f32 and f64; the CPU kernel is Eigen's GEMM.
#pragma once

#include "tensor/tensor.h"

namespace sp {

// torch.matmul: 1-D x 1-D is a dot product (0-dim result); a 1-D operand is promoted
// to a matrix and the added dim removed again; batch dims broadcast.
Tensor matmul(const Tensor& a, const Tensor& b);
// [M, K] x [K, N] -> [M, N].
Tensor mm(const Tensor& a, const Tensor& b);
// [B, M, K] x [B, K, N] -> [B, M, N] (no broadcasting, like torch.bmm).
Tensor bmm(const Tensor& a, const Tensor& b);

namespace cpu {
// out[..., M, N] = a[..., M, K] * b[..., K, N]. a and b are already expanded to out's
// batch shape (any strides, 0 along broadcast dims); out is contiguous.
void matmul_batched(const Tensor& out, const Tensor& a, const Tensor& b);
}  // namespace cpu

}  // namespace sp
