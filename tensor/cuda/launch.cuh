// Shared pieces of CUDA kernels: launch-error checks, grid sizing, strided offsets.
#pragma once

#include <cuda_runtime.h>

#include <array>
#include <cstdint>

#include "tensor/cuda/context.h"
#include "tensor/shape.h"

namespace sp::cuda {

// After every launch: names the kernel in the error.
#define SP_CUDA_LAUNCH_CHECK(kernel_name) \
  ::sp::cuda::check_status(cudaGetLastError(), "launch of " kernel_name, __FILE__, __LINE__)

inline int blocks_for(int64_t n, int threads = 256) {
  int64_t b = (n + threads - 1) / threads;
  return int(b < 65535 * 8 ? (b > 0 ? b : 1) : 65535 * 8);
}

// Maps a linear (row-major) index over `shape` to element offsets of N operands.
template <int N>
struct OffsetCalc {
  int rank;
  int64_t sizes[kMaxRank];
  int64_t strides[N][kMaxRank];

  OffsetCalc(const Shape& shape, const std::array<Strides, N>& st) : rank(shape.rank()) {
    for (int d = 0; d < rank; ++d) {
      sizes[d] = shape[d];
      for (int k = 0; k < N; ++k) strides[k][d] = st[k][d];
    }
  }
  __device__ __forceinline__ void get(int64_t linear, int64_t* out) const {
    for (int k = 0; k < N; ++k) out[k] = 0;
    for (int d = rank - 1; d >= 0; --d) {
      int64_t i = linear % sizes[d];
      linear /= sizes[d];
      for (int k = 0; k < N; ++k) out[k] += i * strides[k][d];
    }
  }
  // The same for linear < 2^32: 32-bit division is several times cheaper than 64-bit
  // division, which otherwise dominates these memory-bound loops.
  __device__ __forceinline__ void get32(uint32_t linear, int64_t* out) const {
    for (int k = 0; k < N; ++k) out[k] = 0;
    for (int d = rank - 1; d >= 0; --d) {
      const uint32_t size = uint32_t(sizes[d]);
      const uint32_t i = linear % size;
      linear /= size;
      for (int k = 0; k < N; ++k) out[k] += int64_t(i) * strides[k][d];
    }
  }
};

// True when every linear index of n elements fits OffsetCalc::get32.
inline bool fits_u32(int64_t n) {
  return n <= int64_t(UINT32_MAX);
}

}  // namespace sp::cuda
