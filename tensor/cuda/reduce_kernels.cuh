// Generic reduction kernels over a contiguous [outer, R, inner] layout (used by
// tensor/cuda/reduce.cu). A reducer `Red` supplies the state S and
//   S init(); S load(In x, int64_t j, int64_t out); S combine(S, S); void finish(S, int64_t out)
// where `out` is the output index o * inner + i. Kernels either finish() or write raw
// partial states that a second launch (load() of an S is the identity) combines, always
// in a fixed order: results are reproducible run to run (no atomics).
#pragma once

#include <cstdint>
#include <limits>
#include <type_traits>

#include "tensor/cuda/loops.cuh"

namespace sp::cuda::reduce_detail {

template <typename A>
inline constexpr bool kFloatAcc = std::is_floating_point_v<A>;

template <typename A>
__device__ __forceinline__ bool nan_(A x) {
  if constexpr (kFloatAcc<A>)
    return x != x;
  else
    return false;
}
template <typename A>
__device__ __forceinline__ A max_nan(A a, A b) {
  return (nan_(a) || a > b) ? a : b;
}
template <typename A>
__device__ __forceinline__ A min_nan(A a, A b) {
  return (nan_(a) || a < b) ? a : b;
}
template <typename A>
__device__ __forceinline__ A lowest_of() {
  if constexpr (kFloatAcc<A>)
    return -std::numeric_limits<A>::infinity();
  else
    return std::numeric_limits<A>::lowest();
}
template <typename A>
__device__ __forceinline__ A highest_of() {
  if constexpr (kFloatAcc<A>)
    return std::numeric_limits<A>::infinity();
  else
    return std::numeric_limits<A>::max();
}

template <typename A>
struct ArgState {
  A v;
  int64_t i;
};

template <typename S>
__device__ __forceinline__ S shfl_down(S v, int o) {
  if constexpr (std::is_arithmetic_v<S>) {
    return __shfl_down_sync(0xffffffffu, v, o);
  } else {
    S r;
    r.v = __shfl_down_sync(0xffffffffu, v.v, o);
    r.i = __shfl_down_sync(0xffffffffu, v.i, o);
    return r;
  }
}

// Combines v over the block (blockDim.x a multiple of 32); the result is valid in thread 0.
template <typename S, typename Red>
__device__ S block_reduce(S v, const Red& red) {
  __shared__ S warp_vals[32];
  for (int o = 16; o > 0; o >>= 1) v = red.combine(v, shfl_down(v, o));
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
  if (warps > 1) {
    if (lane == 0) warp_vals[warp] = v;
    __syncthreads();
    if (warp == 0) {
      v = lane < warps ? warp_vals[lane] : red.init();
      for (int o = 16; o > 0; o >>= 1) v = red.combine(v, shfl_down(v, o));
    }
    __syncthreads();  // warp_vals may be reused by the next row
  }
  return v;
}

// inner == 1: block b reduces chunk (b % chunks) of row (b / chunks); rows are R long.
template <typename In, typename S, typename Red>
__global__ void rows_kernel(const In* in, S* partial, int64_t rows, int64_t R, int64_t chunks,
                            int64_t chunk, Red red) {
  for (int64_t b = blockIdx.x; b < rows * chunks; b += gridDim.x) {
    const int64_t row = b / chunks, c = b - row * chunks;
    const int64_t begin = c * chunk, end = min(R, begin + chunk);
    const In* x = in + row * R;
    const int64_t step = blockDim.x;
    S acc[4];
#pragma unroll
    for (int k = 0; k < 4; ++k) acc[k] = red.init();
    int64_t j = begin + threadIdx.x;
    for (; j + 3 * step < end; j += 4 * step) {
      In v[4];
#pragma unroll
      for (int k = 0; k < 4; ++k) v[k] = x[j + k * step];
#pragma unroll
      for (int k = 0; k < 4; ++k) acc[k] = red.combine(acc[k], red.load(v[k], j + k * step, row));
    }
    for (; j < end; j += step) acc[0] = red.combine(acc[0], red.load(x[j], j, row));
    S s = red.combine(red.combine(acc[0], acc[1]), red.combine(acc[2], acc[3]));
    s = block_reduce(s, red);
    if (threadIdx.x == 0) {
      if (partial)
        partial[b] = s;
      else
        red.finish(s, row);
    }
  }
}

// inner > 1: a 32 x 8 block; x walks inner (coalesced), y and blockIdx.y split R
// (split blockIdx.y covers [y * chunk, (y + 1) * chunk)); blockIdx.z walks outer.
// Partial states are laid out [outer, splits, inner].
constexpr int kColX = 32, kColY = 8;
template <typename In, typename S, typename Red>
__global__ void cols_kernel(const In* in, S* partial, int64_t outer, int64_t R, int64_t inner,
                            int64_t chunk, Red red) {
  __shared__ S sh[kColY][kColX + 1];
  const int64_t i = int64_t(blockIdx.x) * kColX + threadIdx.x;
  const int64_t split = blockIdx.y, splits = gridDim.y;
  const int64_t begin = split * chunk, end = min(R, begin + chunk);
  for (int64_t o = blockIdx.z; o < outer; o += gridDim.z) {
    S s = red.init();
    if (i < inner) {
      const In* x = in + o * R * inner + i;
      const int64_t out = o * inner + i;
#pragma unroll 4
      for (int64_t j = begin + threadIdx.y; j < end; j += kColY)
        s = red.combine(s, red.load(x[j * inner], j, out));
    }
    sh[threadIdx.y][threadIdx.x] = s;
    __syncthreads();
    if (threadIdx.y == 0 && i < inner) {
      for (int k = 1; k < kColY; ++k) s = red.combine(s, sh[k][threadIdx.x]);
      if (partial)
        partial[(o * splits + split) * inner + i] = s;
      else
        red.finish(s, o * inner + i);
    }
    __syncthreads();
  }
}

// One thread per output, walking R serially (short rows with inner == 1).
template <typename In, typename S, typename Red>
__global__ void serial_kernel(const In* in, int64_t outer, int64_t R, int64_t inner, Red red) {
  const int64_t n = outer * inner;
  for (int64_t idx = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; idx < n;
       idx += int64_t(gridDim.x) * blockDim.x) {
    const int64_t o = idx / inner, i = idx - o * inner;
    const In* x = in + o * R * inner + i;
    S s = red.init();
    for (int64_t j = 0; j < R; ++j) s = red.combine(s, red.load(x[j * inner], j, idx));
    red.finish(s, idx);
  }
}

// ---- reducers

struct Plus {
  template <typename A>
  __device__ static A identity() {
    return A(0);
  }
  template <typename A>
  __device__ A operator()(A a, A b) const {
    return a + b;
  }
};
struct Times {
  template <typename A>
  __device__ static A identity() {
    return A(1);
  }
  template <typename A>
  __device__ A operator()(A a, A b) const {
    return a * b;
  }
};
struct MaxNan {
  template <typename A>
  __device__ static A identity() {
    return lowest_of<A>();
  }
  template <typename A>
  __device__ A operator()(A a, A b) const {
    return max_nan(a, b);
  }
};
struct MinNan {
  template <typename A>
  __device__ static A identity() {
    return highest_of<A>();
  }
  template <typename A>
  __device__ A operator()(A a, A b) const {
    return min_nan(a, b);
  }
};

// Per-element transform before combining, and the finalization of the combined value.
enum class Xf : uint8_t { Id, Abs, AbsPow, NonZero, SqDev, ExpShift };
enum class Fin : uint8_t { None, Div, Root, VarDiv, StdDiv, LogShift };

template <typename A, typename C>
struct ValueRed {
  Xf xf = Xf::Id;
  Fin fin = Fin::None;
  A p = 0;                   // norm order, or the variance correction
  A count = 1;               // elements per output (mean, var)
  const A* shift = nullptr;  // per output: the mean (SqDev) or the max (ExpShift, LogShift)
  A* out = nullptr;

  __device__ A init() const { return C::template identity<A>(); }
  __device__ A combine(A a, A b) const { return C{}(a, b); }
  template <typename In>
  __device__ __forceinline__ A load(In x, int64_t, int64_t o) const {
    const acc_t<In> xa = acc_t<In>(x);
    const A v = A(xa);
    switch (xf) {
      case Xf::Id:
        return v;
      case Xf::NonZero:
        return A(xa != acc_t<In>(0));
      default:
        break;
    }
    if constexpr (kFloatAcc<A>) {
      switch (xf) {
        case Xf::Abs:
          return fabs(v);
        case Xf::AbsPow: {
          const A a = fabs(v);
          return p == A(2) ? a * a : p == A(1) ? a : pow(a, p);
        }
        case Xf::SqDev: {
          const A d = v - shift[o];
          return d * d;
        }
        case Xf::ExpShift:
          return exp(v - shift[o]);
        default:
          break;
      }
    }
    return v;
  }
  __device__ void finish(A r, int64_t o) const {
    if constexpr (kFloatAcc<A>) {
      switch (fin) {
        case Fin::None:
          break;
        case Fin::Div:
          r = r / count;
          break;
        case Fin::Root:
          r = p == A(2) ? sqrt(r) : p == A(1) ? r : pow(r, A(1) / p);
          break;
        // Like PyTorch: the divisor is max(0, R - correction), so it may give inf/NaN.
        case Fin::VarDiv:
          r = r / fmax(A(0), count - p);
          break;
        case Fin::StdDiv:
          r = sqrt(r / fmax(A(0), count - p));
          break;
        case Fin::LogShift:
          r = log(r) + shift[o];
          break;
      }
    } else if (fin == Fin::Div) {
      r = r / count;
    }
    out[o] = r;
  }
};

// Max (is_max) or min with the index of the first occurrence; NaN counts as the extreme.
template <typename A>
struct ArgRed {
  bool is_max = true;
  A* values = nullptr;  // may be null (argmax)
  int64_t* indices = nullptr;

  using S = ArgState<A>;
  __device__ S init() const {
    return S{is_max ? lowest_of<A>() : highest_of<A>(), std::numeric_limits<int64_t>::max()};
  }
  __device__ bool better(const S& a, const S& b) const {  // a strictly before b
    if (nan_(b.v)) return nan_(a.v) && a.i < b.i;
    if (nan_(a.v)) return true;
    if (a.v == b.v) return a.i < b.i;
    return is_max ? a.v > b.v : a.v < b.v;
  }
  __device__ S combine(S a, S b) const { return better(b, a) ? b : a; }
  template <typename In>
  __device__ __forceinline__ S load(In x, int64_t j, int64_t) const {
    if constexpr (std::is_same_v<In, S>)
      return x;
    else
      return S{A(acc_t<In>(x)), j};
  }
  __device__ void finish(S s, int64_t o) const {
    if (values) values[o] = s.v;
    indices[o] = s.i;
  }
};

}  // namespace sp::cuda::reduce_detail
