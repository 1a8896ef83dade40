// Pooling on the GPU (tensor/cuda/pool.h): one thread per output element, the window
// rules of tensor/cpu/pool.cpp (PyTorch's).
#include "tensor/cuda/launch.cuh"
#include "tensor/cuda/pool.h"
#include "tensor/dispatch.h"

namespace sp::cuda {

namespace {

using cpu::PoolGeometry;

struct AvgWindow {
  int64_t h0, h1, w0, w1, divisor;
};

__device__ AvgWindow avg_window(const PoolGeometry& g, int64_t oh, int64_t ow) {
  int64_t h0 = oh * g.sh - g.ph, w0 = ow * g.sw - g.pw;
  int64_t h1 = min(h0 + g.kh, g.height + g.ph), w1 = min(w0 + g.kw, g.width + g.pw);
  const int64_t padded = (h1 - h0) * (w1 - w0);
  h0 = max(h0, int64_t(0)), w0 = max(w0, int64_t(0));
  h1 = min(h1, g.height), w1 = min(w1, g.width);
  return {h0, h1, w0, w1, g.count_include_pad ? padded : (h1 - h0) * (w1 - w0)};
}

// I: the index type for the position arithmetic, uint32_t when every index fits (32-bit
// division is several times cheaper than 64-bit division).
template <typename T, typename I>
__global__ void max_pool_kernel(T* y, int64_t* idx, const T* x, PoolGeometry g, int64_t total) {
  const int64_t out_plane = g.out_h * g.out_w, in_plane = g.height * g.width;
  for (int64_t k = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; k < total;
       k += int64_t(gridDim.x) * blockDim.x) {
    const I ki = I(k), plane = I(out_plane), ow_n = I(g.out_w);
    const int64_t p = ki / plane, oh = (ki % plane) / ow_n, ow = ki % ow_n;
    const T* xp = x + p * in_plane;
    T best = -INFINITY;
    int64_t best_i = -1;
    for (int64_t i = 0; i < g.kh; ++i) {
      const int64_t ih = oh * g.sh - g.ph + i * g.dh;
      if (ih < 0 || ih >= g.height) continue;
      for (int64_t j = 0; j < g.kw; ++j) {
        const int64_t iw = ow * g.sw - g.pw + j * g.dw;
        if (iw < 0 || iw >= g.width) continue;
        const T v = xp[ih * g.width + iw];
        if (best_i < 0 || v > best || v != v) {  // first maximum wins; the last NaN propagates
          best = v;
          best_i = ih * g.width + iw;
        }
      }
    }
    y[k] = best;
    if (idx) idx[k] = best_i;
  }
}

template <typename T, typename I>
__global__ void max_pool_backward_kernel(T* gi, const T* go, const int64_t* idx, int64_t in_plane,
                                         int64_t out_plane, int64_t total) {
  for (int64_t k = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; k < total;
       k += int64_t(gridDim.x) * blockDim.x) {
    const int64_t i = idx[k];
    if (i >= 0 && i < in_plane) atomicAdd(gi + int64_t(I(k) / I(out_plane)) * in_plane + i, go[k]);
  }
}

template <typename T>
__global__ void avg_pool_kernel(T* y, const T* x, PoolGeometry g, int64_t total, bool backward) {
  const int64_t out_plane = g.out_h * g.out_w, in_plane = g.height * g.width;
  for (int64_t k = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; k < total;
       k += int64_t(gridDim.x) * blockDim.x) {
    const int64_t p = k / out_plane, oh = (k % out_plane) / g.out_w, ow = k % g.out_w;
    const AvgWindow w = avg_window(g, oh, ow);
    const bool empty = w.h0 >= w.h1 || w.w0 >= w.w1;
    if (backward) {  // y is grad_in, x is grad_out
      if (empty) continue;
      const T share = x[k] / T(w.divisor);
      for (int64_t ih = w.h0; ih < w.h1; ++ih)
        for (int64_t iw = w.w0; iw < w.w1; ++iw)
          atomicAdd(y + p * in_plane + ih * g.width + iw, share);
    } else {
      T sum = 0;
      for (int64_t ih = w.h0; ih < w.h1; ++ih)
        for (int64_t iw = w.w0; iw < w.w1; ++iw) sum += x[p * in_plane + ih * g.width + iw];
      y[k] = empty ? T(0) : sum / T(w.divisor);
    }
  }
}

}  // namespace

void max_pool2d(const Tensor& values, const Tensor& indices, const Tensor& input,
                const PoolGeometry& g) {
  const int dev = input.device().index;
  set_device(dev);
  const int64_t total = values.numel();
  if (total == 0) return;
  int64_t* idx = indices.defined() ? indices.data<int64_t>() : nullptr;
  dispatch_float(input.dtype(), "max_pool2d", [&]<typename T>() {
    if (fits_u32(total))
      max_pool_kernel<T, uint32_t><<<blocks_for(total), 256, 0, stream(dev)>>>(
          values.data<T>(), idx, input.data<T>(), g, total);
    else
      max_pool_kernel<T, int64_t><<<blocks_for(total), 256, 0, stream(dev)>>>(
          values.data<T>(), idx, input.data<T>(), g, total);
    SP_CUDA_LAUNCH_CHECK("max_pool_kernel");
  });
}

void max_pool2d_backward(const Tensor& grad_in, const Tensor& grad_out, const Tensor& indices,
                         int64_t planes) {
  check_same_device(grad_out, indices, "max_pool2d_backward");
  const int dev = grad_in.device().index;
  set_device(dev);
  const int64_t total = grad_out.numel();
  if (total == 0 || planes == 0) return;
  const int64_t in_plane = grad_in.numel() / planes, out_plane = total / planes;
  dispatch_float(grad_in.dtype(), "max_pool2d_backward", [&]<typename T>() {
    if (fits_u32(total))
      max_pool_backward_kernel<T, uint32_t><<<blocks_for(total), 256, 0, stream(dev)>>>(
          grad_in.data<T>(), grad_out.data<T>(), indices.data<int64_t>(), in_plane, out_plane,
          total);
    else
      max_pool_backward_kernel<T, int64_t><<<blocks_for(total), 256, 0, stream(dev)>>>(
          grad_in.data<T>(), grad_out.data<T>(), indices.data<int64_t>(), in_plane, out_plane,
          total);
    SP_CUDA_LAUNCH_CHECK("max_pool_backward_kernel");
  });
}

void avg_pool2d(const Tensor& out, const Tensor& input, const PoolGeometry& g) {
  const int dev = input.device().index;
  set_device(dev);
  const int64_t total = out.numel();
  if (total == 0) return;
  dispatch_float(input.dtype(), "avg_pool2d", [&]<typename T>() {
    avg_pool_kernel<T><<<blocks_for(total), 256, 0, stream(dev)>>>(out.data<T>(), input.data<T>(),
                                                                   g, total, false);
    SP_CUDA_LAUNCH_CHECK("avg_pool_kernel");
  });
}

void avg_pool2d_backward(const Tensor& grad_in, const Tensor& grad_out, const PoolGeometry& g) {
  const int dev = grad_in.device().index;
  set_device(dev);
  const int64_t total = grad_out.numel();
  if (total == 0) return;
  dispatch_float(grad_in.dtype(), "avg_pool2d_backward", [&]<typename T>() {
    avg_pool_kernel<T><<<blocks_for(total), 256, 0, stream(dev)>>>(
        grad_in.data<T>(), grad_out.data<T>(), g, total, true);
    SP_CUDA_LAUNCH_CHECK("avg_pool_kernel backward");
  });
}

}  // namespace sp::cuda
