// CUDA strided copy (with dtype conversion) and fill; parity with tensor/cpu/copy.cpp.
// Both go through for_each_offset (tensor/cuda/loops.cuh): dims are coalesced first, so a
// contiguous or rank-1 operand costs no index division; a contiguous fill with zero is a
// cudaMemsetAsync.
#include <cmath>

#include "tensor/cuda/loops.cuh"
#include "tensor/ops/copy.h"

namespace sp::cuda {

namespace {
template <typename D, typename S>
struct CopyFn {
  D* dst;
  const S* src;
  __device__ void operator()(Offsets<2> off) const { dst[off[0]] = convert<D>(src[off[1]]); }
};

template <typename D>
struct FillFn {
  D* dst;
  D value;
  __device__ void operator()(Offsets<1> off) const { dst[off[0]] = value; }
};
}  // namespace

void copy_strided(const Tensor& dst, const Tensor& src) {
  const int dev = dst.device().index;
  set_device(dev);
  const int64_t n = dst.numel();
  if (n == 0) return;
  if (dst.dtype() == src.dtype() && dst.is_contiguous() && src.is_contiguous())
    return copy_device_to_device(dst.data_ptr(), src.data_ptr(), dst.nbytes(), dev);
  dispatch_all(dst.dtype(), "copy", [&]<typename D>() {
    dispatch_all(src.dtype(), "copy", [&]<typename S>() {
      for_each_offset<2>(
          dev, dst.shape(), {dst.strides(), src.strides()},
          CopyFn<D, S>{static_cast<D*>(dst.data_ptr()), static_cast<const S*>(src.data_ptr())},
          "copy");
    });
  });
}

void fill(const Tensor& dst, double value) {
  const int dev = dst.device().index;
  set_device(dev);
  const int64_t n = dst.numel();
  if (n == 0) return;
  // All-zero bytes encode 0 in every dtype (+0.0 for floats, false for bool).
  if (value == 0.0 && !std::signbit(value) && dst.is_contiguous()) {
    SP_CUDA_CHECK(cudaMemsetAsync(dst.data_ptr(), 0, dst.nbytes(), stream(dev)));
    return;
  }
  dispatch_all(dst.dtype(), "fill", [&]<typename D>() {
    for_each_offset<1>(dev, dst.shape(), {dst.strides()},
                       FillFn<D>{static_cast<D*>(dst.data_ptr()), convert<D>(value)}, "fill");
  });
}

}  // namespace sp::cuda
