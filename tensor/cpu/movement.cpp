// CPU kernel for reflect / replicate padding (constant padding is a fill + copy).
#include "tensor/ops/movement.h"

#include "tensor/dispatch.h"

namespace sp::cpu {

namespace {
// Source index along one dim for output position o (input size n, `before` padding).
int64_t source_index(int64_t o, int64_t before, int64_t n, PadMode mode) {
  int64_t i = o - before;
  if (mode == PadMode::Replicate) return std::min(std::max<int64_t>(i, 0), n - 1);
  if (n == 1) return 0;
  if (i < 0) i = -i;  // reflect without repeating the edge
  if (i >= n) i = 2 * (n - 1) - i;
  return i;
}
}  // namespace

void pad_edges(const Tensor& out, const Tensor& t, const std::vector<int64_t>& before,
               PadMode mode) {
  const int rank = out.dim();
  const Shape& os = out.shape();
  const Strides& is = t.strides();
  const int64_t total = out.numel();
  dispatch_all(t.dtype(), "pad", [&]<typename T>() {
    const T* src = static_cast<const T*>(t.data_ptr());
    T* dst = static_cast<T*>(out.data_ptr());  // contiguous
#pragma omp parallel for schedule(static) if (total >= 65536)
    for (int64_t k = 0; k < total; ++k) {
      int64_t rem = k, off = 0;
      for (int d = rank - 1; d >= 0; --d) {
        const int64_t o = rem % os[d];
        rem /= os[d];
        off += source_index(o, before[d], t.shape()[d], mode) * is[d];
      }
      dst[k] = src[off];
    }
  });
}

}  // namespace sp::cpu
