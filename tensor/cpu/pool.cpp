// CPU pooling kernels: OpenMP over (plane, row) for max pooling, over planes otherwise.
#include "tensor/ops/pool.h"

#include <cmath>
#include <limits>
#include <vector>

#include "tensor/dispatch.h"

namespace sp::cpu {
namespace {

// PyTorch's average window: clipped to the padded input for the divisor, then to the input.
struct AvgWindow {
  int64_t h0, h1, w0, w1, divisor;
};
AvgWindow avg_window(const PoolGeometry& g, int64_t oh, int64_t ow) {
  int64_t h0 = oh * g.sh - g.ph, w0 = ow * g.sw - g.pw;
  int64_t h1 = std::min(h0 + g.kh, g.height + g.ph), w1 = std::min(w0 + g.kw, g.width + g.pw);
  const int64_t padded = (h1 - h0) * (w1 - w0);
  h0 = std::max<int64_t>(h0, 0), w0 = std::max<int64_t>(w0, 0);
  h1 = std::min(h1, g.height), w1 = std::min(w1, g.width);
  return {h0, h1, w0, w1, g.count_include_pad ? padded : (h1 - h0) * (w1 - w0)};
}

// PyTorch's rule for the window maximum, in scan order: the first maximum wins, a NaN
// (the last one) propagates, and the first valid element is taken whatever its value.
template <typename T>
bool replaces(T v, T best, bool have_best) {
  return !have_best || v > best || std::isnan(v);
}

// The maximum of one window row: the column of the winner (-1 if the row of the window
// lies outside the image), its value in best. Combining row winners in row order with
// the same rule gives the window's winner: the first maximum, or the last NaN.
template <typename T>
int64_t row_window_max(const T* xr, int64_t ow, const PoolGeometry& g, T& best) {
  int64_t best_c = -1;
  for (int64_t j = 0; j < g.kw; ++j) {
    const int64_t iw = ow * g.sw - g.pw + j * g.dw;
    if (iw < 0 || iw >= g.width) continue;
    if (replaces(xr[iw], best, best_c >= 0)) best = xr[iw], best_c = iw;
  }
  return best_c;
}

// Calls row(ih) -> (column, value) for the rows of output row oh's windows, in order, and
// writes each window's winner to y and idx.
template <typename T, typename RowWinner>
void combine_rows(int64_t p, int64_t oh, const PoolGeometry& g, T* y, int64_t* idx,
                  RowWinner&& row) {
  const int64_t out_plane = g.out_h * g.out_w;
  for (int64_t ow = 0; ow < g.out_w; ++ow) {
    T best = T(0);
    int64_t best_i = -1;
    for (int64_t i = 0; i < g.kh; ++i) {
      const int64_t ih = oh * g.sh - g.ph + i * g.dh;
      if (ih < 0 || ih >= g.height) continue;
      T v = T(0);
      const int64_t c = row(ih, ow, v);
      if (c >= 0 && replaces(v, best, best_i >= 0)) best = v, best_i = ih * g.width + c;
    }
    y[p * out_plane + oh * g.out_w + ow] = best_i >= 0 ? best : -std::numeric_limits<T>::infinity();
    if (idx) idx[p * out_plane + oh * g.out_w + ow] = best_i;
  }
}

// Small windows (2x2 pooling in networks): each window's rows are scanned directly.
template <typename T>
void max_pool_direct(const T* x, T* y, int64_t* idx, const PoolGeometry& g) {
  const int64_t in_plane = g.height * g.width;
#pragma omp parallel for schedule(static) if (g.planes * g.out_h * g.out_w > 16384)
  for (int64_t row = 0; row < g.planes * g.out_h; ++row) {
    const int64_t p = row / g.out_h;
    combine_rows<T>(p, row % g.out_h, g, y, idx, [&](int64_t ih, int64_t ow, T& v) {
      return row_window_max(x + p * in_plane + ih * g.width, ow, g, v);
    });
  }
}

// 2x2 windows at stride 2 that lie inside the input (every pooling layer of SuperPoint):
// the same rule as selects instead of branches, so that each output row vectorizes.
template <typename T, bool kIndices>
void max_pool_2x2(const T* x, T* y, int64_t* idx, const PoolGeometry& g) {
  const int64_t in_plane = g.height * g.width, out_plane = g.out_h * g.out_w;
#pragma omp parallel for schedule(static) if (g.planes * out_plane > 16384)
  for (int64_t row = 0; row < g.planes * g.out_h; ++row) {
    const int64_t p = row / g.out_h, oh = row % g.out_h, top = 2 * oh * g.width;
    const T* r0 = x + p * in_plane + top;
    const T* r1 = r0 + g.width;
    T* yr = y + p * out_plane + oh * g.out_w;
    int64_t* ir = kIndices ? idx + p * out_plane + oh * g.out_w : nullptr;
#pragma omp simd
    for (int64_t ow = 0; ow < g.out_w; ++ow) {
      T best = r0[2 * ow];
      int64_t best_i = top + 2 * ow;
      auto take = [&](T v, int64_t i) {
        const bool wins = v > best || v != v;  // v != v: NaN
        best = wins ? v : best;
        best_i = wins ? i : best_i;
      };
      take(r0[2 * ow + 1], top + 2 * ow + 1);
      take(r1[2 * ow], top + g.width + 2 * ow);
      take(r1[2 * ow + 1], top + g.width + 2 * ow + 1);
      yr[ow] = best;
      if constexpr (kIndices) ir[ow] = best_i;
    }
  }
}

// Large windows (NMS takes 9x9 maxima over full-resolution heatmaps): every input row's
// window maxima are computed once into a [planes, H, out_w] scratch, then combined down
// the columns: kh + kw reads per output instead of kh * kw, same values and indices.
template <typename T>
void max_pool_separable(const T* x, T* y, int64_t* idx, const PoolGeometry& g) {
  std::vector<T> row_best(size_t(g.planes * g.height * g.out_w));
  std::vector<int32_t> row_col(row_best.size());
  const bool parallel = g.planes * g.out_h * g.out_w > 16384;
#pragma omp parallel for schedule(static) if (parallel)
  for (int64_t row = 0; row < g.planes * g.height; ++row)
    for (int64_t ow = 0; ow < g.out_w; ++ow) {
      const size_t s = size_t(row * g.out_w + ow);
      row_col[s] = int32_t(row_window_max(x + row * g.width, ow, g, row_best[s]));
    }
#pragma omp parallel for schedule(static) if (parallel)
  for (int64_t row = 0; row < g.planes * g.out_h; ++row) {
    const int64_t p = row / g.out_h;
    combine_rows<T>(p, row % g.out_h, g, y, idx, [&](int64_t ih, int64_t ow, T& v) {
      const size_t s = size_t((p * g.height + ih) * g.out_w + ow);
      v = row_best[s];
      return int64_t(row_col[s]);
    });
  }
}

}  // namespace

void max_pool2d(const Tensor& values, const Tensor& indices, const Tensor& input,
                const PoolGeometry& g) {
  int64_t* idx = indices.defined() ? indices.data<int64_t>() : nullptr;
  dispatch_float(input.dtype(), "max_pool2d", [&]<typename T>() {
    const bool plain_2x2 = g.kh == 2 && g.kw == 2 && g.sh == 2 && g.sw == 2 && g.ph == 0 &&
                           g.pw == 0 && g.dh == 1 && g.dw == 1 && 2 * g.out_h <= g.height &&
                           2 * g.out_w <= g.width;
    const bool small_window = g.kh * g.kw <= 4;
    if (plain_2x2 && idx)
      max_pool_2x2<T, true>(input.data<T>(), values.data<T>(), idx, g);
    else if (plain_2x2)
      max_pool_2x2<T, false>(input.data<T>(), values.data<T>(), nullptr, g);
    else if (small_window)
      max_pool_direct<T>(input.data<T>(), values.data<T>(), idx, g);
    else
      max_pool_separable<T>(input.data<T>(), values.data<T>(), idx, g);
  });
}

void max_pool2d_backward(const Tensor& grad_in, const Tensor& grad_out, const Tensor& indices,
                         int64_t planes) {
  dispatch_float(grad_in.dtype(), "max_pool2d_backward", [&]<typename T>() {
    const T* go = grad_out.data<T>();
    const int64_t* idx = indices.data<int64_t>();
    T* gi = grad_in.data<T>();
    const int64_t in_plane = grad_in.numel() / std::max<int64_t>(planes, 1);
    const int64_t out_plane = grad_out.numel() / std::max<int64_t>(planes, 1);
#pragma omp parallel for schedule(static) if (grad_out.numel() > 16384)
    for (int64_t p = 0; p < planes; ++p)
      for (int64_t o = 0; o < out_plane; ++o) {
        const int64_t i = idx[p * out_plane + o];
        if (i >= 0 && i < in_plane) gi[p * in_plane + i] += go[p * out_plane + o];
      }
  });
}

void avg_pool2d(const Tensor& out, const Tensor& input, const PoolGeometry& g) {
  dispatch_float(input.dtype(), "avg_pool2d", [&]<typename T>() {
    const T* x = input.data<T>();
    T* y = out.data<T>();
    const int64_t in_plane = g.height * g.width, out_plane = g.out_h * g.out_w;
#pragma omp parallel for schedule(static) if (g.planes * out_plane > 16384)
    for (int64_t p = 0; p < g.planes; ++p)
      for (int64_t oh = 0; oh < g.out_h; ++oh)
        for (int64_t ow = 0; ow < g.out_w; ++ow) {
          const AvgWindow w = avg_window(g, oh, ow);
          T sum = 0;
          for (int64_t ih = w.h0; ih < w.h1; ++ih)
            for (int64_t iw = w.w0; iw < w.w1; ++iw) sum += x[p * in_plane + ih * g.width + iw];
          y[p * out_plane + oh * g.out_w + ow] =
              w.h0 >= w.h1 || w.w0 >= w.w1 ? T(0) : sum / T(w.divisor);
        }
  });
}

void avg_pool2d_backward(const Tensor& grad_in, const Tensor& grad_out, const PoolGeometry& g) {
  dispatch_float(grad_in.dtype(), "avg_pool2d_backward", [&]<typename T>() {
    const T* go = grad_out.data<T>();
    T* gi = grad_in.data<T>();
    const int64_t in_plane = g.height * g.width, out_plane = g.out_h * g.out_w;
#pragma omp parallel for schedule(static) if (g.planes * out_plane > 16384)
    for (int64_t p = 0; p < g.planes; ++p)
      for (int64_t oh = 0; oh < g.out_h; ++oh)
        for (int64_t ow = 0; ow < g.out_w; ++ow) {
          const AvgWindow w = avg_window(g, oh, ow);
          if (w.h0 >= w.h1 || w.w0 >= w.w1) continue;
          const T share = go[p * out_plane + oh * g.out_w + ow] / T(w.divisor);
          for (int64_t ih = w.h0; ih < w.h1; ++ih)
            for (int64_t iw = w.w0; iw < w.w1; ++iw) gi[p * in_plane + ih * g.width + iw] += share;
        }
  });
}

}  // namespace sp::cpu
