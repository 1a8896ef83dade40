// grid_sample / interpolate on the GPU (tensor/cuda/sample.h): the formulas of
// tensor/cpu/sample.cpp (PyTorch's), one thread per output element (per sample point
// for the grid backward).
#include "tensor/cuda/launch.cuh"
#include "tensor/cuda/sample.h"
#include "tensor/dispatch.h"

namespace sp::cuda {

namespace {

template <typename T>
__device__ __forceinline__ T unnormalize(T coord, int64_t size, bool align) {
  return align ? ((coord + 1) / 2) * T(size - 1) : ((coord + 1) * T(size) - 1) / 2;
}

__device__ __forceinline__ bool inside(int64_t y, int64_t x, int64_t h, int64_t w) {
  return y >= 0 && y < h && x >= 0 && x < w;
}

template <typename T>
struct Taps {
  int64_t x0, y0;
  T wx1, wy1;
  __device__ Taps(T gx, T gy, int64_t w, int64_t h, bool align) {
    const T ix = unnormalize(gx, w, align), iy = unnormalize(gy, h, align);
    x0 = int64_t(floor(ix));
    y0 = int64_t(floor(iy));
    wx1 = ix - T(x0);
    wy1 = iy - T(y0);
  }
};

template <typename T>
__global__ void grid_sample_kernel(T* out, const T* in, const T* g, int64_t n, int64_t c, int64_t h,
                                   int64_t w, int64_t ho, int64_t wo, bool align) {
  const int64_t total = n * c * ho * wo;
  for (int64_t k = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; k < total;
       k += int64_t(gridDim.x) * blockDim.x) {
    const int64_t pix = k % (ho * wo), bc = k / (ho * wo), b = bc / c;
    const int64_t p = b * ho * wo + pix;
    const Taps<T> t(g[2 * p], g[2 * p + 1], w, h, align);
    const T wx[2] = {1 - t.wx1, t.wx1}, wy[2] = {1 - t.wy1, t.wy1};
    const T* plane = in + bc * h * w;
    T acc = 0;
    for (int dy = 0; dy < 2; ++dy)
      for (int dx = 0; dx < 2; ++dx)
        if (inside(t.y0 + dy, t.x0 + dx, h, w))
          acc += plane[(t.y0 + dy) * w + t.x0 + dx] * wx[dx] * wy[dy];
    out[k] = acc;
  }
}

template <typename T>
__global__ void grid_sample_backward_kernel(T* gi, T* gg, const T* go, const T* in, const T* g,
                                            int64_t n, int64_t c, int64_t h, int64_t w, int64_t ho,
                                            int64_t wo, bool align) {
  const T mult_x = align ? T(w - 1) / 2 : T(w) / 2, mult_y = align ? T(h - 1) / 2 : T(h) / 2;
  for (int64_t p = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; p < n * ho * wo;
       p += int64_t(gridDim.x) * blockDim.x) {
    const int64_t b = p / (ho * wo), pix = p % (ho * wo);
    const Taps<T> t(g[2 * p], g[2 * p + 1], w, h, align);
    const T wx[2] = {1 - t.wx1, t.wx1}, wy[2] = {1 - t.wy1, t.wy1};
    const T sx[2] = {-1, 1}, sy[2] = {-1, 1};
    T gix = 0, giy = 0;
    for (int64_t ch = 0; ch < c; ++ch) {
      const T gout = go[(b * c + ch) * ho * wo + pix];
      const int64_t plane = (b * c + ch) * h * w;
      for (int dy = 0; dy < 2; ++dy)
        for (int dx = 0; dx < 2; ++dx) {
          if (!inside(t.y0 + dy, t.x0 + dx, h, w)) continue;
          const int64_t at = plane + (t.y0 + dy) * w + t.x0 + dx;
          if (gi) atomicAdd(gi + at, wx[dx] * wy[dy] * gout);
          if (gg) {
            gix += sx[dx] * wy[dy] * in[at] * gout;
            giy += sy[dy] * wx[dx] * in[at] * gout;
          }
        }
    }
    if (gg) {
      gg[2 * p] = gix * mult_x;
      gg[2 * p + 1] = giy * mult_y;
    }
  }
}

// PyTorch area_pixel_compute_scale (linear mode), computed on the host.
template <typename T>
T linear_scale(int64_t in, int64_t out, bool align, double scale) {
  if (align) return out > 1 ? T(in - 1) / T(out - 1) : T(0);
  return scale > 0 ? T(1.0 / scale) : T(in) / T(out);
}

template <typename T>
struct Axis {
  int64_t i0, step;
  T l0, l1;
  __device__ Axis(int64_t dst, int64_t in, T scale, bool align) {
    T src = align ? scale * T(dst) : scale * (T(dst) + T(0.5)) - T(0.5);
    if (!align && src < 0) src = T(0);
    i0 = int64_t(src);
    step = i0 < in - 1 ? 1 : 0;
    l1 = src - T(i0);
    l0 = T(1) - l1;
  }
};

// PyTorch nearest_idx; `s` is the float source scale.
__device__ __forceinline__ int64_t nearest_source(int64_t dst, int64_t in, int64_t out, float s) {
  if (out == in) return dst;
  if (out == 2 * in) return dst >> 1;
  const int64_t i = int64_t(floorf(float(dst) * s));
  return i < in - 1 ? i : in - 1;
}

template <typename S, typename T>
__global__ void interpolate_kernel(S* o, const S* in, int64_t planes, int64_t h, int64_t w,
                                   int64_t ho, int64_t wo, bool nearest, bool align, T sh, T sw,
                                   float nsh, float nsw) {
  const int64_t total = planes * ho * wo;
  for (int64_t k = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; k < total;
       k += int64_t(gridDim.x) * blockDim.x) {
    const int64_t x = k % wo, y = (k / wo) % ho, pl = k / (ho * wo);
    const S* src = in + pl * h * w;
    if (nearest) {
      o[k] = src[nearest_source(y, h, ho, nsh) * w + nearest_source(x, w, wo, nsw)];
      continue;
    }
    const Axis<T> ay(y, h, sh, align), ax(x, w, sw, align);
    const S* r0 = src + ay.i0 * w;
    const S* r1 = r0 + ay.step * w;
    const T v = ay.l0 * (ax.l0 * T(r0[ax.i0]) + ax.l1 * T(r0[ax.i0 + ax.step])) +
                ay.l1 * (ax.l0 * T(r1[ax.i0]) + ax.l1 * T(r1[ax.i0 + ax.step]));
    o[k] = S(v);
  }
}

template <typename T>
__global__ void interpolate_backward_kernel(T* gi, const T* go, int64_t planes, int64_t h,
                                            int64_t w, int64_t ho, int64_t wo, bool align, T sh,
                                            T sw) {
  const int64_t total = planes * ho * wo;
  for (int64_t k = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; k < total;
       k += int64_t(gridDim.x) * blockDim.x) {
    const int64_t x = k % wo, y = (k / wo) % ho, pl = k / (ho * wo);
    const Axis<T> ay(y, h, sh, align), ax(x, w, sw, align);
    const T g = go[k];
    T* r0 = gi + pl * h * w + ay.i0 * w;
    T* r1 = r0 + ay.step * w;
    atomicAdd(r0 + ax.i0, ay.l0 * ax.l0 * g);
    atomicAdd(r0 + ax.i0 + ax.step, ay.l0 * ax.l1 * g);
    atomicAdd(r1 + ax.i0, ay.l1 * ax.l0 * g);
    atomicAdd(r1 + ax.i0 + ax.step, ay.l1 * ax.l1 * g);
  }
}

template <typename T>
__global__ void homography_grid_kernel(T* out, const double* hs, int64_t b, int64_t h, int64_t w,
                                       double sx, double sy, double shift) {
  const int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= b * h * w) return;
  const int64_t x = i % w, y = (i / w) % h;
  const double* m = hs + 9 * (i / (h * w));
  const double fx = double(x), fy = double(y);
  const double u = m[0] * fx + m[1] * fy + m[2], v = m[3] * fx + m[4] * fy + m[5],
               z = m[6] * fx + m[7] * fy + m[8];
  out[2 * i] = T(u / z * sx - shift);
  out[2 * i + 1] = T(v / z * sy - shift);
}

}  // namespace

void grid_sample(const Tensor& out, const Tensor& input, const Tensor& grid, bool align) {
  const int dev = input.device().index;
  set_device(dev);
  const int64_t n = input.size(0), c = input.size(1), h = input.size(2), w = input.size(3);
  const int64_t ho = grid.size(1), wo = grid.size(2), total = out.numel();
  if (total == 0) return;
  dispatch_float(input.dtype(), "grid_sample", [&]<typename T>() {
    grid_sample_kernel<T><<<blocks_for(total), 256, 0, stream(dev)>>>(
        out.data<T>(), input.data<T>(), grid.data<T>(), n, c, h, w, ho, wo, align);
    SP_CUDA_LAUNCH_CHECK("grid_sample_kernel");
  });
}

void grid_sample_backward(const Tensor& grad_input, const Tensor& grad_grid,
                          const Tensor& grad_output, const Tensor& input, const Tensor& grid,
                          bool align) {
  const int dev = grid.device().index;
  set_device(dev);
  const int64_t n = grad_output.size(0), c = grad_output.size(1), ho = grid.size(1),
                wo = grid.size(2);
  const Tensor& ref = grad_input.defined() ? grad_input : input;
  const int64_t h = ref.size(2), w = ref.size(3);
  if (n * ho * wo == 0) return;
  dispatch_float(grid.dtype(), "grid_sample_backward", [&]<typename T>() {
    grid_sample_backward_kernel<T><<<blocks_for(n * ho * wo), 256, 0, stream(dev)>>>(
        grad_input.defined() ? grad_input.data<T>() : nullptr,
        grad_grid.defined() ? grad_grid.data<T>() : nullptr, grad_output.data<T>(),
        grad_grid.defined() ? input.data<T>() : nullptr, grid.data<T>(), n, c, h, w, ho, wo, align);
    SP_CUDA_LAUNCH_CHECK("grid_sample_backward_kernel");
  });
}

void interpolate(const Tensor& out, const Tensor& input, InterpMode mode, bool align,
                 double scale_h, double scale_w) {
  const int dev = input.device().index;
  set_device(dev);
  const int64_t planes = input.size(0) * input.size(1), h = input.size(2), w = input.size(3);
  const int64_t ho = out.size(2), wo = out.size(3), total = out.numel();
  if (total == 0) return;
  const float nsh = scale_h > 0 ? float(1.0 / scale_h) : float(h) / float(ho);
  const float nsw = scale_w > 0 ? float(1.0 / scale_w) : float(w) / float(wo);
  dispatch_floating(input.dtype(), "interpolate", [&]<typename S>() {
    using T = std::conditional_t<std::is_same_v<S, double>, double, float>;
    interpolate_kernel<S, T><<<blocks_for(total), 256, 0, stream(dev)>>>(
        static_cast<S*>(out.data_ptr()), static_cast<const S*>(input.data_ptr()), planes, h, w, ho,
        wo, mode == InterpMode::Nearest, align, linear_scale<T>(h, ho, align, scale_h),
        linear_scale<T>(w, wo, align, scale_w), nsh, nsw);
    SP_CUDA_LAUNCH_CHECK("interpolate_kernel");
  });
}

void interpolate_bilinear_backward(const Tensor& grad_input, const Tensor& grad_output, bool align,
                                   double scale_h, double scale_w) {
  const int dev = grad_output.device().index;
  set_device(dev);
  const int64_t planes = grad_input.size(0) * grad_input.size(1), h = grad_input.size(2),
                w = grad_input.size(3);
  const int64_t ho = grad_output.size(2), wo = grad_output.size(3), total = grad_output.numel();
  if (total == 0 || grad_input.numel() == 0) return;
  dispatch_float(grad_input.dtype(), "interpolate_backward", [&]<typename T>() {
    interpolate_backward_kernel<T><<<blocks_for(total), 256, 0, stream(dev)>>>(
        grad_input.data<T>(), grad_output.data<T>(), planes, h, w, ho, wo, align,
        linear_scale<T>(h, ho, align, scale_h), linear_scale<T>(w, wo, align, scale_w));
    SP_CUDA_LAUNCH_CHECK("interpolate_backward_kernel");
  });
}

void homography_grid(const Tensor& out, const Tensor& homographies, bool normalized) {
  const int dev = out.device().index;
  set_device(dev);
  const int64_t b = out.size(0), h = out.size(1), w = out.size(2), total = b * h * w;
  const double sx = normalized ? 2.0 / double(w - 1) : 1.0,
               sy = normalized ? 2.0 / double(h - 1) : 1.0;
  dispatch_float(out.dtype(), "homography_grid", [&]<typename T>() {
    homography_grid_kernel<T><<<blocks_for(total), 256, 0, stream(dev)>>>(
        out.data<T>(), homographies.data<double>(), b, h, w, sx, sy, normalized ? 1.0 : 0.0);
    SP_CUDA_LAUNCH_CHECK("homography_grid_kernel");
  });
}

}  // namespace sp::cuda
