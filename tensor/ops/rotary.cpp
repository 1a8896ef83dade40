#include "tensor/ops/rotary.h"

#include "tensor/cuda/rotary.h"
#include "tensor/ops/creation.h"

namespace sp {
namespace {

// True when `s` broadcasts to exactly `target`.
bool broadcasts_to(const Shape& s, const Shape& target) {
  if (s.rank() > target.rank()) return false;
  for (int i = 1; i <= s.rank(); ++i)
    if (s[s.rank() - i] != 1 && s[s.rank() - i] != target[target.rank() - i]) return false;
  return true;
}

Tensor run(const char* what, const Tensor& x, const Tensor& cos, const Tensor& sin,
           bool transpose) {
  check_defined(x, what);
  check_defined(cos, what);
  check_defined(sin, what);
  check_same_device(x, cos, what);
  check_same_device(x, sin, what);
  check_floating(x, what, "input");
  SP_CHECK(x.dim() >= 1 && x.size(-1) % 2 == 0, what,
           ": expected an input [*, D] with D even, got ", x.shape());
  SP_CHECK(cos.dtype() == x.dtype() && sin.dtype() == x.dtype(), what,
           ": expected cos and sin of dtype ", x.dtype(), " like the input, got ", cos.dtype(),
           " and ", sin.dtype());
  SP_CHECK(broadcasts_to(cos.shape(), x.shape()) && broadcasts_to(sin.shape(), x.shape()), what,
           ": expected cos and sin broadcastable to the input ", x.shape(), ", got ", cos.shape(),
           " and ", sin.shape());
  Tensor out = empty(x.shape(), x.dtype(), x.device());
  if (out.numel() == 0) return out;
  (x.is_cuda() ? cuda::rotary : cpu::rotary)(out, x, cos.expand(x.shape()), sin.expand(x.shape()),
                                             transpose);
  return out;
}

}  // namespace

Tensor apply_rotary(const Tensor& x, const Tensor& cos, const Tensor& sin) {
  return run("apply_rotary", x, cos, sin, false);
}

Tensor apply_rotary_backward(const Tensor& grad, const Tensor& cos, const Tensor& sin) {
  return run("apply_rotary_backward", grad, cos, sin, true);
}

Tensor rotate_half(const Tensor& x) {
  check_defined(x, "rotate_half");
  // cos = 0, sin = 1 as broadcast scalars: nothing is materialised.
  return run("rotate_half", x, scalar_tensor(0.0, x.dtype(), x.device()),
             scalar_tensor(1.0, x.dtype(), x.device()), false);
}

}  // namespace sp
