// Generic elementwise launching for CUDA kernels: visits every element of a shape with N
// operands (each with its own strides), calling f(Offsets<N>) on the device. Dims are
// coalesced first (as on the CPU); when every operand is contiguous the offsets are the
// linear index itself and no division happens.
#pragma once

#include <array>

#include "tensor/cuda/launch.cuh"
#include "tensor/dispatch.h"
#include "tensor/tensor.h"

namespace sp::cuda {

template <int N>
struct Layout {
  Shape shape;
  std::array<Strides, N> strides;
};

// Merges adjacent dims that are contiguous for every operand and drops size-1 dims
// (the same rule as sp::cpu::coalesce in tensor/cpu/loops.h).
template <int N>
Layout<N> coalesce(const Shape& shape, const std::array<Strides, N>& strides) {
  Layout<N> out;
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

template <int N>
struct Offsets {
  int64_t v[N];
  __device__ __forceinline__ int64_t operator[](int k) const { return v[k]; }
};

template <int N, typename F>
__global__ void contiguous_loop_kernel(int64_t n, F f) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x) {
    Offsets<N> off;
#pragma unroll
    for (int k = 0; k < N; ++k) off.v[k] = i;
    f(off);
  }
}

// One dim left after coalescing (e.g. a contiguous tensor with a broadcast scalar):
// offsets are i * stride, no division.
template <int N, typename F>
__global__ void rank1_loop_kernel(int64_t n, Offsets<N> strides, F f) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x) {
    Offsets<N> off;
#pragma unroll
    for (int k = 0; k < N; ++k) off.v[k] = i * strides.v[k];
    f(off);
  }
}

template <int N, bool Small, typename F>
__global__ void strided_loop_kernel(int64_t n, OffsetCalc<N> calc, F f) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x) {
    Offsets<N> off;
    if constexpr (Small)
      calc.get32(uint32_t(i), off.v);
    else
      calc.get(i, off.v);
    f(off);
  }
}

// Launches f over `shape` on the compute stream of `device`.
template <int N, typename F>
void for_each_offset(int device, const Shape& shape, const std::array<Strides, N>& strides, F f,
                     const char* what) {
  const int64_t n = numel(shape);
  if (n == 0) return;
  Layout<N> l = coalesce<N>(shape, strides);
  bool contiguous = l.shape.rank() <= 1;
  for (int k = 0; k < N && contiguous; ++k)
    contiguous = l.shape.rank() == 0 || l.strides[k][0] == 1;
  cudaStream_t s = stream(device);
  if (contiguous) {
    contiguous_loop_kernel<N><<<blocks_for(n), 256, 0, s>>>(n, f);
  } else if (l.shape.rank() == 1) {
    Offsets<N> st;
    for (int k = 0; k < N; ++k) st.v[k] = l.strides[k][0];
    rank1_loop_kernel<N><<<blocks_for(n), 256, 0, s>>>(n, st, f);
  } else if (fits_u32(n)) {
    strided_loop_kernel<N, true>
        <<<blocks_for(n), 256, 0, s>>>(n, OffsetCalc<N>(l.shape, l.strides), f);
  } else {
    strided_loop_kernel<N, false>
        <<<blocks_for(n), 256, 0, s>>>(n, OffsetCalc<N>(l.shape, l.strides), f);
  }
  check_status(cudaGetLastError(), what, __FILE__, __LINE__);
}

// Ints and bool compute as themselves, f16/bf16 in f32.
template <typename T>
using acc_t = std::conditional_t<std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>, float, T>;

// The tensor itself if it has dtype `dt`, else a converted copy (same shape).
inline Tensor as_dtype(const Tensor& t, DType dt) {
  return t.dtype() == dt ? t : t.to(dt);
}

inline void check_cuda_operand(const Tensor& out, const Tensor& t, const char* what) {
  SP_CHECK(t.device() == out.device(), what, ": expected every tensor on ", out.device(), ", got ",
           t.device());
  SP_CHECK(t.shape() == out.shape(), what, ": expected an input of shape ", out.shape(),
           " (expanded), got ", t.shape());
}

}  // namespace sp::cuda
