#include "tensor/ops/matmul.h"

#include "tensor/cuda/matmul.h"
#include "tensor/ops/creation.h"
#include "tensor/ops/elementwise.h"

namespace sp {
namespace {

// The one place matmul picks a device kernel. The CPU multiplies f16/bf16 in f32.
void matmul_into(const Tensor& out, const Tensor& a, const Tensor& b, const char*) {
  if (out.is_cuda()) return cuda::matmul_batched(out, a, b);
  if (out.dtype() == DType::F16 || out.dtype() == DType::BF16) {
    Tensor wide = empty(out.shape(), DType::F32, out.device());
    if (wide.numel() > 0) cpu::matmul_batched(wide, a.to(DType::F32), b.to(DType::F32));
    Tensor o = out;
    o.copy_(wide);
    return;
  }
  cpu::matmul_batched(out, a, b);
}

void check_operands(const Tensor& a, const Tensor& b, const char* what) {
  check_defined(a, what);
  check_defined(b, what);
  check_same_device(a, b, what);
  SP_CHECK(a.dtype() == b.dtype(), what, ": expected operands of the same dtype, got ", a.dtype(),
           " and ", b.dtype());
  SP_CHECK(is_floating(a.dtype()), what, ": expected dtype f32 or f64 (or f16, bf16), got ",
           a.dtype());
}

bool is_half(DType t) {
  return t == DType::F16 || t == DType::BF16;
}

}  // namespace

Tensor mm(const Tensor& a, const Tensor& b) {
  check_operands(a, b, "mm");
  SP_CHECK(a.dim() == 2 && b.dim() == 2, "mm: expected two 2-D tensors, got ", a.shape(), " and ",
           b.shape());
  SP_CHECK(a.size(1) == b.size(0), "mm: expected a [M, K] x [K, N] product, got ", a.shape(), " x ",
           b.shape());
  Tensor out = empty({a.size(0), b.size(1)}, a.dtype(), a.device());
  matmul_into(out, a, b, "mm");
  return out;
}

Tensor bmm(const Tensor& a, const Tensor& b) {
  check_operands(a, b, "bmm");
  SP_CHECK(a.dim() == 3 && b.dim() == 3, "bmm: expected two 3-D tensors, got ", a.shape(), " and ",
           b.shape());
  SP_CHECK(a.size(0) == b.size(0) && a.size(2) == b.size(1),
           "bmm: expected a [B, M, K] x [B, K, N] product, got ", a.shape(), " x ", b.shape());
  Tensor out = empty({a.size(0), a.size(1), b.size(2)}, a.dtype(), a.device());
  matmul_into(out, a, b, "bmm");
  return out;
}

Tensor matmul(const Tensor& a_in, const Tensor& b_in) {
  check_operands(a_in, b_in, "matmul");
  SP_CHECK(a_in.dim() >= 1 && b_in.dim() >= 1, "matmul: expected tensors of at least 1 dim, got ",
           a_in.shape(), " and ", b_in.shape());
  const bool a_vec = a_in.dim() == 1, b_vec = b_in.dim() == 1;
  Tensor a = a_vec ? a_in.unsqueeze(0) : a_in;  // [K] -> [1, K]
  Tensor b = b_vec ? b_in.unsqueeze(1) : b_in;  // [K] -> [K, 1]
  const int64_t M = a.size(-2), K = a.size(-1), N = b.size(-1);
  SP_CHECK(b.size(-2) == K,
           "matmul: expected the last dim of the first operand to match the second-to-last of the ",
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

Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  const char* what = "linear";
  check_operands(x, weight, what);
  SP_CHECK(weight.dim() == 2 && x.dim() >= 1 && x.size(-1) == weight.size(1), what,
           ": expected input [*, ", weight.dim() == 2 ? weight.size(1) : 0, "] for weight ",
           weight.shape(), ", got ", x.shape());
  const int64_t C = weight.size(1), O = weight.size(0);
  if (bias.defined()) {
    check_same_device(bias, x, what);
    SP_CHECK(bias.shape() == Shape{O} && bias.dtype() == x.dtype(), what, ": expected bias ",
             x.dtype(), "[", O, "], got ", bias.meta());
  }
  Shape out_shape = x.shape();
  out_shape[out_shape.rank() - 1] = O;
  int64_t R = 1;
  for (int d = 0; d < x.dim() - 1; ++d) R *= x.size(d);
  Tensor x2 = x.reshape({R, C});  // a view for contiguous x (and any foldable layout)
  if (x.is_cpu() && !is_half(x.dtype())) {
    Tensor out = empty({R, O}, x.dtype(), x.device());
    if (out.numel() > 0) {
      if (bias.defined()) out.copy_(bias.expand({R, O}));
      cpu::linear(out, C > 1 && x2.stride(1) != 1 ? x2.contiguous() : x2, weight.contiguous(),
                  bias.defined());
    }
    return out.view(out_shape);
  }
  Tensor out = matmul(x2, weight.t());
  if (bias.defined()) out = add(out, bias);
  return out.view(out_shape);
}

LinearGrads linear_backward(const Tensor& grad, const Tensor& x, const Tensor& weight,
                            bool input_grad, bool weight_grad) {
  const char* what = "linear_backward";
  check_operands(x, weight, what);
  check_defined(grad, what);
  const int64_t C = weight.size(1), O = weight.size(0);
  Shape out_shape = x.shape();
  out_shape[out_shape.rank() - 1] = O;
  SP_CHECK(grad.shape() == out_shape && grad.dtype() == x.dtype() && grad.device() == x.device(),
           what, ": expected a gradient ", x.dtype(), out_shape, " ", x.device(), " for input ",
           x.shape(), " and weight ", weight.shape(), ", got ", grad.meta());
  int64_t R = 1;
  for (int d = 0; d < x.dim() - 1; ++d) R *= x.size(d);
  const Tensor g2 = grad.reshape({R, O}), x2 = x.reshape({R, C});
  LinearGrads g;
  if (input_grad) {  // [R, O] x [O, C]
    Tensor gi = empty({R, C}, x.dtype(), x.device());
    if (!x.is_cpu() || !cpu::gemm_tiled(gi, g2, weight.contiguous())) gi = mm(g2, weight);
    g.grad_input = gi.view(x.shape());
  }
  if (weight_grad) {  // [O, R] x [R, C]
    Tensor gw = empty({O, C}, x.dtype(), x.device());
    if (!x.is_cpu() || !cpu::gemm_tiled(gw, g2.t(), x2.stride(1) == 1 ? x2 : x2.contiguous()))
      gw = mm(g2.t(), x2);
    g.grad_weight = gw;
  }
  return g;
}

}  // namespace sp
