// CPU reference kernels for strided copy (with dtype conversion) and fill.
#include "tensor/ops/copy.h"

#include "tensor/cpu/loops.h"
#include "tensor/dispatch.h"

namespace sp::cpu {

void copy_strided(const Tensor& dst, const Tensor& src) {
  SP_ASSERT(dst.shape() == src.shape());
  dispatch_all(dst.dtype(), "copy", [&]<typename D>() {
    dispatch_all(src.dtype(), "copy", [&]<typename S>() {
      D* d = static_cast<D*>(dst.data_ptr());
      const S* s = static_cast<const S*>(src.data_ptr());
      if (dst.is_contiguous() && src.is_contiguous()) {
        const int64_t n = dst.numel();
#pragma omp parallel for schedule(static) if (n >= 65536)
        for (int64_t i = 0; i < n; ++i) d[i] = convert<D>(s[i]);
        return;
      }
      for_each_offset<2>(dst.shape(), {dst.strides(), src.strides()},
                         [&](const std::array<int64_t, 2>& o) { d[o[0]] = convert<D>(s[o[1]]); });
    });
  });
}

void fill(const Tensor& dst, double value) {
  dispatch_all(dst.dtype(), "fill", [&]<typename D>() {
    D* d = static_cast<D*>(dst.data_ptr());
    const D v = convert<D>(value);
    for_each_offset<1>(dst.shape(), {dst.strides()},
                       [&](const std::array<int64_t, 1>& o) { d[o[0]] = v; });
  });
}

}  // namespace sp::cpu
