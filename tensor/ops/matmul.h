// Matrix products with PyTorch semantics: matmul (1-D, 2-D and batched with broadcast
// batch dims), mm, bmm and linear. f32 and f64; f16 and bf16 too (CUDA: cuBLAS with f32
// accumulation; CPU: through f32). The CPU kernel is Eigen's GEMM.
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
// torch.nn.functional.linear: x [*, C] W^T + b with weight [O, C], bias [O] (or
// undefined) -> [*, O]. The leading dims are folded into one GEMM (a view when x's
// layout allows, as for any contiguous x), the bias filled in first and accumulated onto
// by the GEMM on the CPU.
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias = {});
// The input and weight gradients of linear for grad [*, O] (each only when asked for):
// grad_input = grad W [*, C], grad_weight = grad^T x [O, C] over the folded leading dims.
struct LinearGrads {
  Tensor grad_input, grad_weight;
};
LinearGrads linear_backward(const Tensor& grad, const Tensor& x, const Tensor& weight,
                            bool input_grad = true, bool weight_grad = true);

namespace cpu {
// out[..., M, N] = a[..., M, K] * b[..., K, N]. a and b are already expanded to out's
// batch shape (any strides, 0 along broadcast dims); out is contiguous.
void matmul_batched(const Tensor& out, const Tensor& a, const Tensor& b);
// out [R, O] = x [R, C] W^T (+ out when accumulate): x rows with unit column stride, W
// contiguous [O, C], out contiguous.
void linear(const Tensor& out, const Tensor& x, const Tensor& weight, bool accumulate);
// out [M, N] = a [M, K] b [K, N] for f32 with N a multiple of the vector width, a with
// any strides, b with unit column stride, out contiguous, on the register-tiled kernel
// (tensor/cpu/gemm_tile.h). Returns false (nothing done) for other dtypes or shapes.
bool gemm_tiled(const Tensor& out, const Tensor& a, const Tensor& b);
}  // namespace cpu

}  // namespace sp
