#include "tensor/ops/matmul.h"

#include "tensor/cuda/matmul.h"
#include "tensor/ops/creation.h"

namespace sp {
namespace {

// The one place matmul picks a device kernel.
void matmul_into(const Tensor& out, const Tensor& a, const Tensor& b, const char*) {
  if (out.is_cuda()) return cuda::matmul_batched(out, a, b);
  cpu::matmul_batched(out, a, b);
}

void check_operands(const Tensor& a, const Tensor& b, const char* what) {
  check_defined(a, what);
  check_defined(b, what);
  check_same_device(a, b, what);
  SP_CHECK(a.dtype() == b.dtype(), what, ": expected operands of the same dtype, got ", a.dtype(), " and ",
           b.dtype());
  SP_CHECK(a.dtype() == DType::F32 || a.dtype() == DType::F64, what, ": expected dtype f32 or f64, got ",
           a.dtype());
}

}  // namespace

Tensor mm(const Tensor& a, const Tensor& b) {
  check_operands(a, b, "mm");
  SP_CHECK(a.dim() == 2 && b.dim() == 2, "mm: expected two 2-D tensors, got ", a.shape(), " and ", b.shape());
  SP_CHECK(a.size(1) == b.size(0), "mm: expected a [M, K] x [K, N] product, got ", a.shape(), " x ", b.shape());
  Tensor out = empty({a.size(0), b.size(1)}, a.dtype(), a.device());
  matmul_into(out, a, b, "mm");
  return out;
}

Tensor bmm(const Tensor& a, const Tensor& b) {
  check_operands(a, b, "bmm");
  SP_CHECK(a.dim() == 3 && b.dim() == 3, "bmm: expected two 3-D tensors, got ", a.shape(), " and ", b.shape());
  SP_CHECK(a.size(0) == b.size(0) && a.size(2) == b.size(1), "bmm: expected a [B, M, K] x [B, K, N] product, got ",
           a.shape(), " x ", b.shape());
  Tensor out = empty({a.size(0), a.size(1), b.size(2)}, a.dtype(), a.device());
  matmul_into(out, a, b, "bmm");
  return out;
}

Tensor matmul(const Tensor& a_in, const Tensor& b_in) {
  check_operands(a_in, b_in, "matmul");
  SP_CHECK(a_in.dim() >= 1 && b_in.dim() >= 1, "matmul: expected tensors of at least 1 dim, got ", a_in.shape(),
           " and ", b_in.shape());
  const bool a_vec = a_in.dim() == 1, b_vec = b_in.dim() == 1;
  Tensor a = a_vec ? a_in.unsqueeze(0) : a_in;   // [K] -> [1, K]
  Tensor b = b_vec ? b_in.unsqueeze(1) : b_in;   // [K] -> [K, 1]
  const int64_t M = a.size(-2), K = a.size(-1), N = b.size(-1);
  SP_CHECK(b.size(-2) == K, "matmul: expected the last dim of the first operand to match the second-to-last of the ",
           "second, got ", a_in.shape(), " x ", b_in.shape());
  Shape a_batch, b_batch;
  for (int d = 0; d < a.dim() - 2; ++d) a_batch.push_back(a.size(d));
  for (int d = 0; d < b.dim() - 2; ++d) b_batch.push_back(b.size(d));
  Shape batch = broadcast_shapes(a_batch, b_batch, "matmul");
  Shape a_shape = batch, b_shape = batch, out_shape = batch;
  a_shape.push_back(M), a_shape.push_back(K);
  b_shape.push_back(K), b_shape.push_back(N);
  out_shape.push_back(M), out_shape.push_back(N);
  Tensor out = empty(out_shape, a.dtype(), a.device());
  matmul_into(out, a.expand(a_shape), b.expand(b_shape), "matmul");
  // Drop the dims a 1-D operand was given (PyTorch's result shape).
  Shape result = batch;
  if (!a_vec) result.push_back(M);
  if (!b_vec) result.push_back(N);
  return out.view(result);
}

}  // namespace sp
