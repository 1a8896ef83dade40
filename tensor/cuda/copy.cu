// CUDA strided copy (with dtype conversion) and fill; parity with tensor/cpu/copy.cpp.
#include "tensor/cuda/launch.cuh"
#include "tensor/dispatch.h"
#include "tensor/ops/copy.h"

namespace sp::cuda {

namespace {
template <typename D, typename S>
__global__ void copy_kernel(D* dst, const S* src, int64_t n, OffsetCalc<2> calc) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    int64_t off[2];
    calc.get(i, off);
    dst[off[0]] = convert<D>(src[off[1]]);
  }
}

template <typename D>
__global__ void fill_kernel(D* dst, D value, int64_t n, OffsetCalc<1> calc) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    int64_t off[1];
    calc.get(i, off);
    dst[off[0]] = value;
  }
}
}  // namespace

void copy_strided(const Tensor& dst, const Tensor& src) {
  const int dev = dst.device().index;
  set_device(dev);
  const int64_t n = dst.numel();
  if (n == 0) return;
  if (dst.dtype() == src.dtype() && dst.is_contiguous() && src.is_contiguous())
    return copy_device_to_device(dst.data_ptr(), src.data_ptr(), dst.nbytes(), dev);
  OffsetCalc<2> calc(dst.shape(), {dst.strides(), src.strides()});
  dispatch_all(dst.dtype(), "copy", [&]<typename D>() {
    dispatch_all(src.dtype(), "copy", [&]<typename S>() {
      copy_kernel<D, S><<<blocks_for(n), 256, 0, stream(dev)>>>(
          static_cast<D*>(dst.data_ptr()), static_cast<const S*>(src.data_ptr()), n, calc);
      SP_CUDA_LAUNCH_CHECK("copy_kernel");
    });
  });
}

void fill(const Tensor& dst, double value) {
  const int dev = dst.device().index;
  set_device(dev);
  const int64_t n = dst.numel();
  OffsetCalc<1> calc(dst.shape(), {dst.strides()});
  dispatch_all(dst.dtype(), "fill", [&]<typename D>() {
    fill_kernel<D><<<blocks_for(n), 256, 0, stream(dev)>>>(static_cast<D*>(dst.data_ptr()),
                                                           convert<D>(value), n, calc);
    SP_CUDA_LAUNCH_CHECK("fill_kernel");
  });
}

}  // namespace sp::cuda
