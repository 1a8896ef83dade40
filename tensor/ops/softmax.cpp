#include "tensor/ops/softmax.h"

#include "tensor/cuda/reduce_ops.h"
#include "tensor/ops/creation.h"

namespace sp {
namespace {

// ---- the device dispatch (CUDA kernels plug in here)
void run_softmax(const char* /*what*/, const Tensor& out, const Tensor& in, int64_t outer,
                 int64_t size, int64_t inner, bool log) {
  if (out.is_cpu()) return cpu::softmax(out, in, outer, size, inner, log);
  cuda::softmax(out, in, outer, size, inner, log);
}

Tensor softmax_op(const char* what, const Tensor& x, int64_t dim, bool log) {
  check_defined(x, what);
  check_floating(x, what, "x");
  const int d = wrap_dim(dim, std::max(1, x.dim()), what);
  int64_t outer = 1, size = x.dim() == 0 ? 1 : x.size(d), inner = 1;
  for (int k = 0; k < x.dim(); ++k) {
    if (k < d) outer *= x.size(k);
    if (k > d) inner *= x.size(k);
  }
  Tensor out = empty(x.shape(), x.dtype(), x.device());
  if (out.numel() == 0) return out;
  run_softmax(what, out, x.contiguous(), outer, size, inner, log);
  return out;
}

}  // namespace

Tensor softmax(const Tensor& x, int64_t dim) {
  return softmax_op("softmax", x, dim, false);
}
Tensor log_softmax(const Tensor& x, int64_t dim) {
  return softmax_op("log_softmax", x, dim, true);
}

}  // namespace sp
