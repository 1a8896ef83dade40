// Group / instance / layer norm on the GPU (tensor/cuda/group_norm.h). One block per
// (sample, group): the mean, the squared deviations (two passes, like the CPU), then the
// affine output, all reduced in the statistics type (f32; f64 for f64). The backward's
// input gradient is the same block layout; the weight/bias gradients are a second kernel:
// a column reduction over rows for layer norm (S = 1, coalesced across channels), one
// block per channel otherwise, both summing in double in a fixed order (deterministic).
#include "tensor/cuda/group_norm.h"
#include "tensor/cuda/launch.cuh"
#include "tensor/cuda/loops.cuh"

namespace sp::cuda {
namespace {

constexpr int kThreads = 256;

template <typename T>
using stat_t = std::conditional_t<std::is_same_v<T, double>, double, float>;

// Sum over the block (blockDim.x == kThreads), returned to every thread.
template <typename A>
__device__ A block_sum(A v) {
  __shared__ A warp_sums[kThreads / 32];
  __shared__ A total;
  for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o);
  if ((threadIdx.x & 31) == 0) warp_sums[threadIdx.x >> 5] = v;
  __syncthreads();
  if (threadIdx.x == 0) {
    A t = 0;
    for (int w = 0; w < kThreads / 32; ++w) t += warp_sums[w];
    total = t;
  }
  __syncthreads();
  const A result = total;
  __syncthreads();  // warp_sums and total are reused by the next call
  return result;
}

template <typename T>
__global__ void forward_kernel(T* out, stat_t<T>* mean, stat_t<T>* rstd, const T* x, const T* w,
                               const T* b, GroupNormDims d, double eps) {
  using St = stat_t<T>;
  const int64_t item = blockIdx.x, n = item / d.g, g = item % d.g;
  const int64_t cg = d.c / d.g, m = cg * d.s, c0 = g * cg;
  const int64_t base = (n * d.c + c0) * d.s;
  St s = 0;
  for (int64_t i = threadIdx.x; i < m; i += blockDim.x) s += St(acc_t<T>(x[base + i]));
  const St mu = block_sum(s) / St(m);
  St q = 0;
  for (int64_t i = threadIdx.x; i < m; i += blockDim.x) {
    const St v = St(acc_t<T>(x[base + i])) - mu;
    q += v * v;
  }
  const St r = St(1) / sqrt(block_sum(q) / St(m) + St(eps));
  if (threadIdx.x == 0) {
    mean[item] = mu;
    rstd[item] = r;
  }
  for (int64_t i = threadIdx.x; i < m; i += blockDim.x) {
    const int64_t c = c0 + i / d.s;
    const St wc = w ? St(acc_t<T>(w[c])) : St(1), bc = b ? St(acc_t<T>(b[c])) : St(0);
    out[base + i] = T(acc_t<T>((St(acc_t<T>(x[base + i])) - mu) * r * wc + bc));
  }
}

template <typename T>
__global__ void grad_input_kernel(T* gi, const T* go, const T* x, const T* w, const stat_t<T>* mean,
                                  const stat_t<T>* rstd, GroupNormDims d) {
  using St = stat_t<T>;
  const int64_t item = blockIdx.x, n = item / d.g, g = item % d.g;
  const int64_t cg = d.c / d.g, m = cg * d.s, c0 = g * cg;
  const int64_t base = (n * d.c + c0) * d.s;
  const St mu = mean[item], r = rstd[item];
  St a1 = 0, a2 = 0;  // sum(dy w), sum(dy w (x - mu))
  for (int64_t i = threadIdx.x; i < m; i += blockDim.x) {
    const St gw = St(acc_t<T>(go[base + i])) * (w ? St(acc_t<T>(w[c0 + i / d.s])) : St(1));
    a1 += gw;
    a2 += gw * (St(acc_t<T>(x[base + i])) - mu);
  }
  const St k1 = r * block_sum(a1) / St(m);
  const St k2 = r * r * r * block_sum(a2) / St(m);
  for (int64_t i = threadIdx.x; i < m; i += blockDim.x) {
    const St wc = w ? St(acc_t<T>(w[c0 + i / d.s])) : St(1);
    gi[base + i] = T(
        acc_t<T>(r * wc * St(acc_t<T>(go[base + i])) - k1 - (St(acc_t<T>(x[base + i])) - mu) * k2));
  }
}

// S == 1: thread (tx, ty) sums channel blockIdx.x * 32 + tx over rows ty, ty + 8, ...
template <typename T>
__global__ void affine_grad_columns_kernel(T* gw, T* gb, const T* go, const T* x,
                                           const stat_t<T>* mean, const stat_t<T>* rstd,
                                           GroupNormDims d) {
  __shared__ double sw[8][33], sb[8][33];
  const int tx = threadIdx.x, ty = threadIdx.y;
  const int64_t c = int64_t(blockIdx.x) * 32 + tx, cg = d.c / d.g;
  double aw = 0, ab = 0;
  if (c < d.c) {
    for (int64_t n = ty; n < d.n; n += 8) {
      const int64_t stat = n * d.g + c / cg;
      const double gv = double(acc_t<T>(go[n * d.c + c]));
      aw += gv * (double(acc_t<T>(x[n * d.c + c])) - double(mean[stat])) * double(rstd[stat]);
      ab += gv;
    }
  }
  sw[ty][tx] = aw;
  sb[ty][tx] = ab;
  __syncthreads();
  if (ty == 0 && c < d.c) {
    double tw = 0, tb = 0;
    for (int k = 0; k < 8; ++k) tw += sw[k][tx], tb += sb[k][tx];
    gw[c] = T(acc_t<T>(tw));
    if (gb) gb[c] = T(acc_t<T>(tb));
  }
}

// S > 1: block c sums its channel over every sample and position.
template <typename T>
__global__ void affine_grad_channel_kernel(T* gw, T* gb, const T* go, const T* x,
                                           const stat_t<T>* mean, const stat_t<T>* rstd,
                                           GroupNormDims d) {
  const int64_t c = blockIdx.x, cg = d.c / d.g;
  double aw = 0, ab = 0;
  for (int64_t n = 0; n < d.n; ++n) {
    const int64_t stat = n * d.g + c / cg, row = (n * d.c + c) * d.s;
    const double mu = double(mean[stat]), r = double(rstd[stat]);
    for (int64_t s = threadIdx.x; s < d.s; s += blockDim.x) {
      const double gv = double(acc_t<T>(go[row + s]));
      aw += gv * (double(acc_t<T>(x[row + s])) - mu) * r;
      ab += gv;
    }
  }
  aw = block_sum(aw);
  ab = block_sum(ab);
  if (threadIdx.x == 0) {
    gw[c] = T(acc_t<T>(aw));
    if (gb) gb[c] = T(acc_t<T>(ab));
  }
}

template <typename T>
const T* optional(const Tensor& t) {
  return t.defined() ? t.data<T>() : nullptr;
}

}  // namespace

void group_norm(const Tensor& out, const Tensor& mean, const Tensor& rstd, const Tensor& x,
                const Tensor& weight, const Tensor& bias, GroupNormDims d, double eps) {
  const int dev = x.device().index;
  set_device(dev);
  dispatch_floating(x.dtype(), "group_norm", [&]<typename T>() {
    forward_kernel<T><<<unsigned(d.n * d.g), kThreads, 0, stream(dev)>>>(
        out.data<T>(), mean.data<stat_t<T>>(), rstd.data<stat_t<T>>(), x.data<T>(),
        optional<T>(weight), optional<T>(bias), d, eps);
    SP_CUDA_LAUNCH_CHECK("group_norm forward_kernel");
  });
}

void group_norm_backward(const Tensor& grad_input, const Tensor& grad_weight,
                         const Tensor& grad_bias, const Tensor& grad, const Tensor& x,
                         const Tensor& weight, const Tensor& mean, const Tensor& rstd,
                         GroupNormDims d) {
  const int dev = x.device().index;
  set_device(dev);
  dispatch_floating(x.dtype(), "group_norm_backward", [&]<typename T>() {
    using St = stat_t<T>;
    grad_input_kernel<T><<<unsigned(d.n * d.g), kThreads, 0, stream(dev)>>>(
        grad_input.data<T>(), grad.data<T>(), x.data<T>(), optional<T>(weight), mean.data<St>(),
        rstd.data<St>(), d);
    SP_CUDA_LAUNCH_CHECK("group_norm grad_input_kernel");
    if (!grad_weight.defined() || d.c == 0) return;
    T* gb = grad_bias.defined() ? grad_bias.data<T>() : nullptr;
    if (d.s == 1) {
      affine_grad_columns_kernel<T><<<unsigned((d.c + 31) / 32), dim3(32, 8), 0, stream(dev)>>>(
          grad_weight.data<T>(), gb, grad.data<T>(), x.data<T>(), mean.data<St>(), rstd.data<St>(),
          d);
      SP_CUDA_LAUNCH_CHECK("group_norm affine_grad_columns_kernel");
    } else {
      affine_grad_channel_kernel<T><<<unsigned(d.c), kThreads, 0, stream(dev)>>>(
          grad_weight.data<T>(), gb, grad.data<T>(), x.data<T>(), mean.data<St>(), rstd.data<St>(),
          d);
      SP_CUDA_LAUNCH_CHECK("group_norm affine_grad_channel_kernel");
    }
  });
}

}  // namespace sp::cuda
