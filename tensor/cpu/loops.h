// Strided iteration for CPU kernels: visits every element of a shape with N operands,
// each with its own strides (0 along broadcast dims). Adjacent dims that are contiguous
// for every operand are merged first, so the common cases become one flat loop.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>

#include "tensor/shape.h"

namespace sp::cpu {

template <int N>
struct StridedLayout {
  Shape shape;
  std::array<Strides, N> strides;
};

// Merges dims d-1, d when every operand's stride allows it, and drops size-1 dims.
template <int N>
StridedLayout<N> coalesce(const Shape& shape, const std::array<Strides, N>& strides) {
  StridedLayout<N> out;
  for (int d = 0; d < shape.rank(); ++d) {
    if (shape[d] == 1) continue;
    int r = out.shape.rank();
    bool merge = r > 0;
    for (int k = 0; k < N && merge; ++k) merge = out.strides[k][r - 1] == strides[k][d] * shape[d];
    if (merge) {
      out.shape[r - 1] *= shape[d];
      for (int k = 0; k < N; ++k) out.strides[k][r - 1] = strides[k][d];
    } else {
      out.shape.push_back(shape[d]);
      for (int k = 0; k < N; ++k) out.strides[k].push_back(strides[k][d]);
    }
  }
  return out;
}

// Calls f(offsets) for each element, offsets[k] being the element offset of operand k.
// Rows of the innermost dim are distributed over OpenMP threads when the work is large.
template <int N, typename F>
void for_each_offset(const Shape& shape, const std::array<Strides, N>& strides, F&& f) {
  const int64_t total = numel(shape);
  if (total == 0) return;
  StridedLayout<N> l = coalesce<N>(shape, strides);
  if (l.shape.rank() == 0) {  // a single element
    std::array<int64_t, N> off{};
    f(off);
    return;
  }
  if (l.shape.rank() == 1 && total >= 65536) {  // one long run: split it into blocks
    constexpr int64_t kBlock = 16384;
    const int64_t blocks = (total + kBlock - 1) / kBlock;
    const std::array<Strides, N>& st = l.strides;
#pragma omp parallel for schedule(static)
    for (int64_t b = 0; b < blocks; ++b) {
      std::array<int64_t, N> off;
      for (int k = 0; k < N; ++k) off[k] = b * kBlock * st[k][0];
      const int64_t end = std::min(total, (b + 1) * kBlock);
      for (int64_t j = b * kBlock; j < end; ++j) {
        f(off);
        for (int k = 0; k < N; ++k) off[k] += st[k][0];
      }
    }
    return;
  }
  const int rank = l.shape.rank();
  const int64_t inner = l.shape[rank - 1];
  const int64_t rows = total / inner;
  std::array<int64_t, N> inner_stride;
  for (int k = 0; k < N; ++k) inner_stride[k] = l.strides[k][rank - 1];
#pragma omp parallel for schedule(static) if (total >= 32768)
  for (int64_t row = 0; row < rows; ++row) {
    std::array<int64_t, N> off{};
    int64_t rem = row;
    for (int d = rank - 2; d >= 0; --d) {
      int64_t i = rem % l.shape[d];
      rem /= l.shape[d];
      for (int k = 0; k < N; ++k) off[k] += i * l.strides[k][d];
    }
    for (int64_t j = 0; j < inner; ++j) {
      f(off);
      for (int k = 0; k < N; ++k) off[k] += inner_stride[k];
    }
  }
}

}  // namespace sp::cpu
