// CPU reference kernels for grid_sample and interpolate, following PyTorch's CPU
// formulas (coordinates computed in the element type, like PyTorch's scalar kernels).
#include "tensor/ops/sample.h"

#include <algorithm>
#include <cmath>

#include "tensor/dispatch.h"

namespace sp::cpu {

namespace {

// grid value in [-1, 1] -> pixel coordinate (PyTorch grid_sampler_unnormalize).
template <typename T>
T unnormalize(T coord, int64_t size, bool align_corners) {
  return align_corners ? ((coord + 1) / 2) * T(size - 1) : ((coord + 1) * T(size) - 1) / 2;
}

// The four bilinear taps of one sample point (zero padding: taps outside get no weight).
template <typename T>
struct Taps {
  T ix, iy;
  int64_t x0, y0;  // north-west corner
  T wx1, wy1;      // weights of the east / south neighbours (ix - x0, iy - y0)
  Taps(T gx, T gy, int64_t w, int64_t h, bool align) {
    ix = unnormalize(gx, w, align);
    iy = unnormalize(gy, h, align);
    x0 = int64_t(std::floor(ix));
    y0 = int64_t(std::floor(iy));
    wx1 = ix - T(x0);
    wy1 = iy - T(y0);
  }
};

inline bool inside(int64_t y, int64_t x, int64_t h, int64_t w) {
  return y >= 0 && y < h && x >= 0 && x < w;
}

// PyTorch area_pixel_compute_scale / area_pixel_compute_source_index (linear mode).
template <typename T>
T linear_scale(int64_t in, int64_t out, bool align_corners, double scale) {
  if (align_corners) return out > 1 ? T(in - 1) / T(out - 1) : T(0);
  return scale > 0 ? T(1.0 / scale) : T(in) / T(out);
}
template <typename T>
T linear_source(T scale, int64_t dst, bool align_corners) {
  if (align_corners) return scale * T(dst);
  const T src = scale * (T(dst) + T(0.5)) - T(0.5);
  return src < 0 ? T(0) : src;
}

// PyTorch nearest_idx (upsample nearest, legacy "nearest" mode).
int64_t nearest_source(int64_t dst, int64_t in, int64_t out, double scale) {
  if (out == in) return dst;
  if (out == 2 * in) return dst >> 1;
  const float s = scale > 0 ? float(1.0 / scale) : float(in) / float(out);
  return std::min(int64_t(std::floor(float(dst) * s)), in - 1);
}

// Bilinear interpolate taps along one axis: i0, i0 + step, weights (1 - l, l).
template <typename T>
struct Axis {
  int64_t i0, step;
  T l0, l1;
  Axis(int64_t dst, int64_t in, T scale, bool align) {
    const T src = linear_source(scale, dst, align);
    i0 = int64_t(src);
    step = i0 < in - 1 ? 1 : 0;
    l1 = src - T(i0);
    l0 = T(1) - l1;
  }
};

}  // namespace

void grid_sample(const Tensor& out, const Tensor& input, const Tensor& grid, bool align) {
  const int64_t n = input.size(0), c = input.size(1), h = input.size(2), w = input.size(3);
  const int64_t ho = grid.size(1), wo = grid.size(2);
  dispatch_float(input.dtype(), "grid_sample", [&]<typename T>() {
    const T* in = input.data<T>();
    const T* g = grid.data<T>();
    T* o = out.data<T>();
#pragma omp parallel for schedule(static) if (n * ho * wo * c >= 32768)
    for (int64_t p = 0; p < n * ho * wo; ++p) {
      const int64_t b = p / (ho * wo), pix = p % (ho * wo);
      const Taps<T> t(g[2 * p], g[2 * p + 1], w, h, align);
      const T wx[2] = {1 - t.wx1, t.wx1}, wy[2] = {1 - t.wy1, t.wy1};
      for (int64_t ch = 0; ch < c; ++ch) {
        const T* plane = in + (b * c + ch) * h * w;
        T acc = 0;
        for (int dy = 0; dy < 2; ++dy)
          for (int dx = 0; dx < 2; ++dx)
            if (inside(t.y0 + dy, t.x0 + dx, h, w))
              acc += plane[(t.y0 + dy) * w + t.x0 + dx] * wx[dx] * wy[dy];
        o[(b * c + ch) * ho * wo + pix] = acc;
      }
    }
  });
}

void grid_sample_backward(const Tensor& grad_input, const Tensor& grad_grid,
                          const Tensor& grad_output, const Tensor& input, const Tensor& grid,
                          bool align) {
  const int64_t n = grad_output.size(0), c = grad_output.size(1), ho = grid.size(1),
                wo = grid.size(2);
  const Tensor& ref = grad_input.defined() ? grad_input : input;
  const int64_t h = ref.size(2), w = ref.size(3);
  dispatch_float(grid.dtype(), "grid_sample_backward", [&]<typename T>() {
    const T* g = grid.data<T>();
    const T* go = grad_output.data<T>();
    T* gi = grad_input.defined() ? grad_input.data<T>() : nullptr;
    const T* in = grad_grid.defined() ? input.data<T>() : nullptr;
    T* gg = grad_grid.defined() ? grad_grid.data<T>() : nullptr;
    const T mult_x = align ? T(w - 1) / 2 : T(w) / 2, mult_y = align ? T(h - 1) / 2 : T(h) / 2;
    // Parallel over the batch: grad_input of different images never overlaps.
#pragma omp parallel for schedule(static) if (n > 1 && n * ho * wo * c >= 32768)
    for (int64_t b = 0; b < n; ++b) {
      for (int64_t pix = 0; pix < ho * wo; ++pix) {
        const int64_t p = b * ho * wo + pix;
        const Taps<T> t(g[2 * p], g[2 * p + 1], w, h, align);
        const T wx[2] = {1 - t.wx1, t.wx1}, wy[2] = {1 - t.wy1, t.wy1};
        const T sx[2] = {-1, 1}, sy[2] = {-1, 1};  // d(weight)/d(ix), d(weight)/d(iy) signs
        T gix = 0, giy = 0;
        for (int64_t ch = 0; ch < c; ++ch) {
          const T gout = go[(b * c + ch) * ho * wo + pix];
          const int64_t plane = (b * c + ch) * h * w;
          for (int dy = 0; dy < 2; ++dy)
            for (int dx = 0; dx < 2; ++dx) {
              if (!inside(t.y0 + dy, t.x0 + dx, h, w)) continue;
              const int64_t at = plane + (t.y0 + dy) * w + t.x0 + dx;
              if (gi) gi[at] += wx[dx] * wy[dy] * gout;
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
  });
}

void interpolate(const Tensor& out, const Tensor& input, InterpMode mode, bool align,
                 double scale_h, double scale_w) {
  const int64_t planes = input.size(0) * input.size(1), h = input.size(2), w = input.size(3);
  const int64_t ho = out.size(2), wo = out.size(3);
  dispatch_floating(input.dtype(), "interpolate", [&]<typename S>() {
    using T = std::conditional_t<std::is_same_v<S, double>, double, float>;
    const S* in = static_cast<const S*>(input.data_ptr());
    S* o = static_cast<S*>(out.data_ptr());
    const T sh = linear_scale<T>(h, ho, align, scale_h),
            sw = linear_scale<T>(w, wo, align, scale_w);
#pragma omp parallel for schedule(static) if (planes * ho * wo >= 32768)
    for (int64_t pl = 0; pl < planes; ++pl) {
      const S* src = in + pl * h * w;
      S* dst = o + pl * ho * wo;
      for (int64_t y = 0; y < ho; ++y) {
        if (mode == InterpMode::Nearest) {
          const int64_t sy = nearest_source(y, h, ho, scale_h);
          for (int64_t x = 0; x < wo; ++x)
            dst[y * wo + x] = src[sy * w + nearest_source(x, w, wo, scale_w)];
          continue;
        }
        const Axis<T> ay(y, h, sh, align);
        for (int64_t x = 0; x < wo; ++x) {
          const Axis<T> ax(x, w, sw, align);
          const S* r0 = src + ay.i0 * w;
          const S* r1 = r0 + ay.step * w;
          const T v = ay.l0 * (ax.l0 * T(r0[ax.i0]) + ax.l1 * T(r0[ax.i0 + ax.step])) +
                      ay.l1 * (ax.l0 * T(r1[ax.i0]) + ax.l1 * T(r1[ax.i0 + ax.step]));
          dst[y * wo + x] = convert<S>(v);
        }
      }
    }
  });
}

void interpolate_bilinear_backward(const Tensor& grad_input, const Tensor& grad_output, bool align,
                                   double scale_h, double scale_w) {
  const int64_t planes = grad_input.size(0) * grad_input.size(1), h = grad_input.size(2),
                w = grad_input.size(3);
  const int64_t ho = grad_output.size(2), wo = grad_output.size(3);
  dispatch_float(grad_input.dtype(), "interpolate_backward", [&]<typename T>() {
    T* gi = grad_input.data<T>();
    const T* go = grad_output.data<T>();
    const T sh = linear_scale<T>(h, ho, align, scale_h),
            sw = linear_scale<T>(w, wo, align, scale_w);
#pragma omp parallel for schedule(static) if (planes * ho * wo >= 32768)
    for (int64_t pl = 0; pl < planes; ++pl) {
      T* dst = gi + pl * h * w;
      const T* src = go + pl * ho * wo;
      for (int64_t y = 0; y < ho; ++y) {
        const Axis<T> ay(y, h, sh, align);
        for (int64_t x = 0; x < wo; ++x) {
          const Axis<T> ax(x, w, sw, align);
          const T g = src[y * wo + x];
          T* r0 = dst + ay.i0 * w;
          T* r1 = r0 + ay.step * w;
          r0[ax.i0] += ay.l0 * ax.l0 * g;
          r0[ax.i0 + ax.step] += ay.l0 * ax.l1 * g;
          r1[ax.i0] += ay.l1 * ax.l0 * g;
          r1[ax.i0 + ax.step] += ay.l1 * ax.l1 * g;
        }
      }
    }
  });
}

void homography_grid(const Tensor& out, const Tensor& homographies, bool normalized) {
  const int64_t b = out.size(0), h = out.size(1), w = out.size(2);
  // Pixel -> align_corners=true coordinate: 2 x / (size - 1) - 1 (normalized needs size >= 2).
  const double sx = normalized ? 2.0 / double(w - 1) : 1.0,
               sy = normalized ? 2.0 / double(h - 1) : 1.0;
  const double shift = normalized ? 1.0 : 0.0;
  const double* hs = homographies.data<double>();
  dispatch_float(out.dtype(), "homography_grid", [&]<typename T>() {
    T* o = out.data<T>();
#pragma omp parallel for schedule(static) if (b * h * w > 32768)
    for (int64_t row = 0; row < b * h; ++row) {
      const double* m = hs + 9 * (row / h);
      const double y = double(row % h);
      T* dst = o + row * w * 2;
      for (int64_t x = 0; x < w; ++x) {
        const double u = m[0] * double(x) + m[1] * y + m[2], v = m[3] * double(x) + m[4] * y + m[5];
        const double z = m[6] * double(x) + m[7] * y + m[8];
        dst[2 * x] = T(u / z * sx - shift);
        dst[2 * x + 1] = T(v / z * sy - shift);
      }
    }
  });
}

}  // namespace sp::cpu
