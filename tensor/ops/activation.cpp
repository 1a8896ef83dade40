#include "tensor/ops/activation.h"

#include "tensor/cuda/activation.h"
#include "tensor/ops/creation.h"

namespace sp {
namespace {

bool has_backward_kernel(UnaryOp op) {
  switch (op) {
    case UnaryOp::Sin:
    case UnaryOp::Cos:
    case UnaryOp::Log1p:
    case UnaryOp::Expm1:
    case UnaryOp::Softplus:
    case UnaryOp::LogSigmoid:
    case UnaryOp::Gelu:
    case UnaryOp::GeluTanh:
      return true;
    default:
      return false;
  }
}

// x viewed as [N, C, S] for PReLU: channels along dim 1 (rank < 2: one channel).
struct PreluDims {
  int64_t n = 1, c = 1, s = 1;
};

PreluDims prelu_dims(const Tensor& x, const Tensor& weight, const char* what) {
  check_defined(x, what);
  check_defined(weight, what);
  check_same_device(x, weight, what);
  check_floating(x, what, "input");
  SP_CHECK(weight.dtype() == x.dtype(), what, ": expected weight of dtype ", x.dtype(),
           " like the input, got ", weight.dtype());
  const int64_t channels = x.dim() >= 2 ? x.size(1) : 1;
  SP_CHECK(weight.dim() <= 1 && (weight.numel() == 1 || weight.numel() == channels), what,
           ": expected weight of shape [1] or [", channels, "] for input ", x.shape(), ", got ",
           weight.shape());
  PreluDims d;
  if (x.dim() >= 2) {
    d.n = x.size(0);
    d.c = x.size(1);
    d.s = d.c * d.n > 0 ? x.numel() / (d.c * d.n) : 0;
  } else {
    d.s = x.numel();
  }
  if (weight.numel() == 1) {  // one shared slope: a single channel
    d.s *= d.c;
    d.c = 1;
  }
  return d;
}

}  // namespace

Tensor unary_backward(UnaryOp op, const Tensor& grad, const Tensor& x, const UnaryParams& params) {
  const char* what = "unary_backward";
  check_defined(grad, what);
  check_defined(x, what);
  check_same_device(grad, x, what);
  SP_CHECK(has_backward_kernel(op), what,
           ": expected one of sin, cos, log1p, expm1, softplus, log_sigmoid, ",
           "gelu, gelu_tanh, got ", op_name(op));
  check_floating(x, op_name(op), "input");
  SP_CHECK(grad.shape() == x.shape() && grad.dtype() == x.dtype(), op_name(op),
           ": expected a gradient like the input ", x.meta(), ", got ", grad.meta());
  Tensor out = empty(x.shape(), x.dtype(), x.device());
  if (out.numel() == 0) return out;
  (x.is_cuda() ? cuda::unary_backward : cpu::unary_backward)(op, out, grad.contiguous(),
                                                             x.contiguous(), params);
  return out;
}

Tensor prelu(const Tensor& x, const Tensor& weight) {
  const PreluDims d = prelu_dims(x, weight, "prelu");
  Tensor out = empty(x.shape(), x.dtype(), x.device());
  if (out.numel() == 0) return out;
  (x.is_cuda() ? cuda::prelu : cpu::prelu)(out, x.contiguous(), weight.contiguous(), d.n, d.c, d.s);
  return out;
}

PreluGrads prelu_backward(const Tensor& grad, const Tensor& x, const Tensor& weight) {
  const PreluDims d = prelu_dims(x, weight, "prelu_backward");
  check_defined(grad, "prelu_backward");
  SP_CHECK(grad.shape() == x.shape() && grad.dtype() == x.dtype() && grad.device() == x.device(),
           "prelu_backward: expected a gradient like the input ", x.meta(), ", got ", grad.meta());
  PreluGrads g{empty(x.shape(), x.dtype(), x.device()),
               zeros(weight.shape(), weight.dtype(), weight.device())};
  if (x.numel() == 0) return g;
  (x.is_cuda() ? cuda::prelu_backward : cpu::prelu_backward)(g.grad_input, g.grad_weight,
                                                             grad.contiguous(), x.contiguous(),
                                                             weight.contiguous(), d.n, d.c, d.s);
  return g;
}

}  // namespace sp
