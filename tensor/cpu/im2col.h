// im2col / col2im over a range of output pixels, for the GEMM-based convolution.
// The column matrix has one row per (channel, ki, kj) and one column per output pixel
// in [p0, p1) of the flattened output plane; padding reads as zero.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace sp::cpu {

struct ConvGeometry {
  int64_t channels, height, width;  // of one group of the input plane
  int64_t kh, kw, out_h, out_w;
  int64_t stride_h, stride_w, pad_h, pad_w, dil_h, dil_w;
  int64_t patch() const { return channels * kh * kw; }
  int64_t out_pixels() const { return out_h * out_w; }
};

// Output columns ow in [lo, hi) read input column ow * stride + offset inside [0, width).
inline void valid_range(int64_t out_w, int64_t stride, int64_t offset, int64_t width, int64_t& lo,
                        int64_t& hi) {
  // ow * stride + offset >= 0  and  ow * stride + offset <= width - 1
  lo = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
  hi = (width - 1 - offset) < 0 ? 0 : (width - 1 - offset) / stride + 1;
  lo = std::min(lo, out_w);
  hi = std::clamp(hi, lo, out_w);
}

// col[row * ld + (p - p0)] for p in [p0, p1) from the input x [channels, height, width].
template <typename T>
void im2col(const T* x, const ConvGeometry& g, int64_t p0, int64_t p1, T* col, int64_t ld) {
  for (int64_t c = 0; c < g.channels; ++c)
    for (int64_t i = 0; i < g.kh; ++i)
      for (int64_t j = 0; j < g.kw; ++j) {
        T* dst = col + ((c * g.kh + i) * g.kw + j) * ld;
        const int64_t col_off = j * g.dil_w - g.pad_w;
        int64_t lo, hi;
        valid_range(g.out_w, g.stride_w, col_off, g.width, lo, hi);
        for (int64_t p = p0; p < p1;) {
          const int64_t oh = p / g.out_w, ow0 = p % g.out_w;
          const int64_t ow1 = std::min(g.out_w, ow0 + (p1 - p));
          const int64_t ih = oh * g.stride_h - g.pad_h + i * g.dil_h;
          if (ih < 0 || ih >= g.height) {
            std::fill(dst, dst + (ow1 - ow0), T(0));
          } else {
            const T* src = x + (c * g.height + ih) * g.width + col_off;
            const int64_t a = std::clamp(lo, ow0, ow1), b = std::clamp(hi, a, ow1);
            std::fill(dst, dst + (a - ow0), T(0));
            if (g.stride_w == 1) {
              std::memcpy(dst + (a - ow0), src + a, size_t(b - a) * sizeof(T));
            } else {
              for (int64_t ow = a; ow < b; ++ow) dst[ow - ow0] = src[ow * g.stride_w];
            }
            std::fill(dst + (b - ow0), dst + (ow1 - ow0), T(0));
          }
          dst += ow1 - ow0;
          p += ow1 - ow0;
        }
      }
}

// The adjoint of im2col: x[c, ih, iw] += col[row, p - p0] (padding positions dropped).
template <typename T>
void col2im_add(const T* col, int64_t ld, const ConvGeometry& g, int64_t p0, int64_t p1, T* x) {
  for (int64_t c = 0; c < g.channels; ++c)
    for (int64_t i = 0; i < g.kh; ++i)
      for (int64_t j = 0; j < g.kw; ++j) {
        const T* src = col + ((c * g.kh + i) * g.kw + j) * ld;
        const int64_t col_off = j * g.dil_w - g.pad_w;
        int64_t lo, hi;
        valid_range(g.out_w, g.stride_w, col_off, g.width, lo, hi);
        for (int64_t p = p0; p < p1;) {
          const int64_t oh = p / g.out_w, ow0 = p % g.out_w;
          const int64_t ow1 = std::min(g.out_w, ow0 + (p1 - p));
          const int64_t ih = oh * g.stride_h - g.pad_h + i * g.dil_h;
          if (ih >= 0 && ih < g.height) {
            T* dst = x + (c * g.height + ih) * g.width + col_off;
            const int64_t a = std::clamp(lo, ow0, ow1), b = std::clamp(hi, a, ow1);
            for (int64_t ow = a; ow < b; ++ow) dst[ow * g.stride_w] += src[ow - ow0];
          }
          src += ow1 - ow0;
          p += ow1 - ow0;
        }
      }
}

}  // namespace sp::cpu
