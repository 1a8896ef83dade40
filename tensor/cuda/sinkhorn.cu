// CUDA Sinkhorn steps (tensor/cuda/sinkhorn.h). Row steps: one block per (batch, row),
// a block reduction over the row. Column steps: one thread per (batch, column) walking the
// rows (reads coalesced across the columns of a warp), with an online log-sum-exp (running
// max, rescaled sum) so Z is read once.
#include "tensor/cuda/launch.cuh"
#include "tensor/cuda/sinkhorn.h"
#include "tensor/dispatch.h"

namespace sp::cuda {
namespace {

constexpr int kThreads = 256;

struct SinkhornDims {
  int64_t b, r, c;
};
SinkhornDims dims(const Tensor& Z) {
  return {Z.size(0), Z.size(1), Z.size(2)};
}

// Reduction over the block (blockDim.x == kThreads) with op, result to every thread.
template <typename T, typename Op>
__device__ T block_reduce(T v, Op op) {
  __shared__ T partial[kThreads / 32];
  __shared__ T result;
  for (int o = 16; o > 0; o >>= 1) v = op(v, __shfl_xor_sync(0xffffffffu, v, o));
  if ((threadIdx.x & 31) == 0) partial[threadIdx.x >> 5] = v;
  __syncthreads();
  if (threadIdx.x == 0) {
    T t = partial[0];
    for (int w = 1; w < kThreads / 32; ++w) t = op(t, partial[w]);
    result = t;
  }
  __syncthreads();
  const T r = result;
  __syncthreads();
  return r;
}

struct Max {
  template <typename T>
  __device__ T operator()(T a, T b) const {
    return a > b ? a : b;
  }
};
struct Sum {
  template <typename T>
  __device__ T operator()(T a, T b) const {
    return a + b;
  }
};

template <typename T>
__global__ void rows_kernel(T* u, const T* z, const T* mu, const T* v, SinkhornDims d) {
  const int64_t bi = blockIdx.x, b = bi / d.r;
  const T* row = z + bi * d.c;
  const T* vb = v + b * d.c;
  T m = -INFINITY;
  for (int64_t j = threadIdx.x; j < d.c; j += blockDim.x) m = max(m, row[j] + vb[j]);
  m = block_reduce(m, Max{});
  T s = 0;
  if (m != T(-INFINITY))
    for (int64_t j = threadIdx.x; j < d.c; j += blockDim.x) s += exp(row[j] + vb[j] - m);
  s = block_reduce(s, Sum{});
  if (threadIdx.x == 0) u[bi] = mu[bi] - (m == T(-INFINITY) ? m : m + log(s));
}

template <typename T>
__global__ void cols_kernel(T* v, const T* z, const T* nu, const T* u, SinkhornDims d) {
  const int64_t j = int64_t(blockIdx.x) * blockDim.x + threadIdx.x, b = blockIdx.y;
  if (j >= d.c) return;
  T m = -INFINITY, s = 0;
  for (int64_t i = 0; i < d.r; ++i) {
    const T x = z[(b * d.r + i) * d.c + j] + u[b * d.r + i];
    if (x == T(-INFINITY)) continue;
    if (x > m) {
      s = s * exp(m - x) + T(1);  // m = -inf at first: exp(-inf) = 0
      m = x;
    } else {
      s += exp(x - m);
    }
  }
  v[b * d.c + j] = nu[b * d.c + j] - (m == T(-INFINITY) ? m : m + log(s));
}

// Per row: dZ -= Pc dv, du = -sum_j Pc dv with Pc = exp(Z + u_i + v_j - log_nu_j).
template <typename T>
__global__ void cols_backward_kernel(T* dz, T* du, const T* z, const T* nu, const T* u, const T* v,
                                     const T* dv, SinkhornDims d) {
  const int64_t bi = blockIdx.x, b = bi / d.r;
  const T ui = u[bi];
  T acc = 0;
  for (int64_t j = threadIdx.x; j < d.c; j += blockDim.x) {
    const int64_t bj = b * d.c + j;
    const T pg = exp(z[bi * d.c + j] + ui + v[bj] - nu[bj]) * dv[bj];
    dz[bi * d.c + j] -= pg;
    acc += pg;
  }
  acc = block_reduce(acc, Sum{});
  if (threadIdx.x == 0) du[bi] = -acc;
}

// Per column: dZ -= Pr du_i, dv_prev = -sum_i Pr du_i with Pr = exp(Z + v_j + u_i - log_mu_i).
template <typename T>
__global__ void rows_backward_kernel(T* dz, T* dv_prev, const T* z, const T* mu, const T* u,
                                     const T* v_prev, const T* du, SinkhornDims d) {
  const int64_t j = int64_t(blockIdx.x) * blockDim.x + threadIdx.x, b = blockIdx.y;
  if (j >= d.c) return;
  const T vj = v_prev[b * d.c + j];
  T acc = 0;
  for (int64_t i = 0; i < d.r; ++i) {
    const int64_t bi = b * d.r + i;
    const T pg = exp(z[bi * d.c + j] + vj + u[bi] - mu[bi]) * du[bi];
    dz[bi * d.c + j] -= pg;
    acc += pg;
  }
  dv_prev[b * d.c + j] = -acc;
}

dim3 column_grid(const SinkhornDims& d) {
  return dim3(unsigned((d.c + kThreads - 1) / kThreads), unsigned(d.b));
}

}  // namespace

void sinkhorn_rows(const Tensor& u, const Tensor& Z, const Tensor& log_mu, const Tensor& v) {
  const int dev = Z.device().index;
  set_device(dev);
  const SinkhornDims d = dims(Z);
  dispatch_float(Z.dtype(), "log_sinkhorn", [&]<typename T>() {
    rows_kernel<T><<<unsigned(d.b * d.r), kThreads, 0, stream(dev)>>>(
        u.data<T>(), Z.data<T>(), log_mu.data<T>(), v.data<T>(), d);
    SP_CUDA_LAUNCH_CHECK("sinkhorn rows_kernel");
  });
}

void sinkhorn_cols(const Tensor& v, const Tensor& Z, const Tensor& log_nu, const Tensor& u) {
  const int dev = Z.device().index;
  set_device(dev);
  const SinkhornDims d = dims(Z);
  dispatch_float(Z.dtype(), "log_sinkhorn", [&]<typename T>() {
    cols_kernel<T><<<column_grid(d), kThreads, 0, stream(dev)>>>(v.data<T>(), Z.data<T>(),
                                                                 log_nu.data<T>(), u.data<T>(), d);
    SP_CUDA_LAUNCH_CHECK("sinkhorn cols_kernel");
  });
}

void sinkhorn_cols_backward(const Tensor& dZ, const Tensor& du, const Tensor& Z,
                            const Tensor& log_nu, const Tensor& u, const Tensor& v,
                            const Tensor& dv) {
  const int dev = Z.device().index;
  set_device(dev);
  const SinkhornDims d = dims(Z);
  dispatch_float(Z.dtype(), "log_sinkhorn_backward", [&]<typename T>() {
    cols_backward_kernel<T><<<unsigned(d.b * d.r), kThreads, 0, stream(dev)>>>(
        dZ.data<T>(), du.data<T>(), Z.data<T>(), log_nu.data<T>(), u.data<T>(), v.data<T>(),
        dv.data<T>(), d);
    SP_CUDA_LAUNCH_CHECK("sinkhorn cols_backward_kernel");
  });
}

void sinkhorn_rows_backward(const Tensor& dZ, const Tensor& dv_prev, const Tensor& Z,
                            const Tensor& log_mu, const Tensor& u, const Tensor& v_prev,
                            const Tensor& du) {
  const int dev = Z.device().index;
  set_device(dev);
  const SinkhornDims d = dims(Z);
  dispatch_float(Z.dtype(), "log_sinkhorn_backward", [&]<typename T>() {
    rows_backward_kernel<T><<<column_grid(d), kThreads, 0, stream(dev)>>>(
        dZ.data<T>(), dv_prev.data<T>(), Z.data<T>(), log_mu.data<T>(), u.data<T>(),
        v_prev.data<T>(), du.data<T>(), d);
    SP_CUDA_LAUNCH_CHECK("sinkhorn rows_backward_kernel");
  });
}

}  // namespace sp::cuda
