// Batch norm on the GPU (tensor/cuda/norm.h): one block per channel for the statistics
// and the backward sums (two passes, double accumulation), a flat kernel for apply.
#include "tensor/cuda/norm.h"

#include "tensor/cuda/launch.cuh"
#include "tensor/dispatch.h"

namespace sp::cuda {

namespace {

constexpr int kThreads = 256;

// Sum over the block, returned to every thread.
__device__ double block_sum(double v) {
  __shared__ double warp_sums[kThreads / 32];
  __shared__ double total;
  for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o);
  if ((threadIdx.x & 31) == 0) warp_sums[threadIdx.x >> 5] = v;
  __syncthreads();
  if (threadIdx.x == 0) {
    double t = 0;
    for (int w = 0; w < kThreads / 32; ++w) t += warp_sums[w];
    total = t;
  }
  __syncthreads();
  const double r = total;
  __syncthreads();
  return r;
}

// A per-channel tensor: pointer (null when undefined) and stride.
template <typename T>
struct Channel {
  T* p = nullptr;
  int64_t stride = 0;
  __device__ T get(int64_t c, T fallback) const { return p ? p[c * stride] : fallback; }
};

template <typename T>
Channel<T> channel(const Tensor& t) {
  return t.defined() ? Channel<T>{t.data<T>(), t.stride(0)} : Channel<T>{};
}

struct Dims3 {
  int64_t n, c, s;
};
Dims3 dims3(const Tensor& t) {
  int64_t s = 1;
  for (int d = 2; d < t.dim(); ++d) s *= t.size(d);
  return {t.size(0), t.size(1), s};
}

template <typename T>
__global__ void stats_kernel(const T* x, Channel<T> mean, Channel<T> invstd, Channel<T> rmean, Channel<T> rvar,
                             Dims3 d, double momentum, double eps) {
  const double count = double(d.n * d.s);
  for (int64_t c = blockIdx.x; c < d.c; c += gridDim.x) {
    double sum = 0;
    for (int64_t k = threadIdx.x; k < d.n * d.s; k += blockDim.x) sum += double(x[((k / d.s) * d.c + c) * d.s + k % d.s]);
    const double m = block_sum(sum) / count;
    double sq = 0;
    for (int64_t k = threadIdx.x; k < d.n * d.s; k += blockDim.x) {
      const double v = double(x[((k / d.s) * d.c + c) * d.s + k % d.s]) - m;
      sq += v * v;
    }
    const double var = block_sum(sq) / count;
    if (threadIdx.x == 0) {
      mean.p[c * mean.stride] = T(m);
      invstd.p[c * invstd.stride] = T(1.0 / sqrt(var + eps));
      if (rmean.p) {
        T& r = rmean.p[c * rmean.stride];
        r = T((1 - momentum) * double(r) + momentum * m);
      }
      if (rvar.p) {
        T& r = rvar.p[c * rvar.stride];
        r = T((1 - momentum) * double(r) + momentum * var * count / fmax(count - 1, 1.0));
      }
    }
  }
}

template <typename T>
__global__ void invstd_kernel(Channel<T> invstd, Channel<T> var, int64_t C, double eps) {
  for (int64_t c = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; c < C; c += int64_t(gridDim.x) * blockDim.x)
    invstd.p[c * invstd.stride] = T(1.0 / sqrt(double(var.p[c * var.stride]) + eps));
}

template <typename T>
__global__ void apply_kernel(T* y, const T* x, Channel<T> weight, Channel<T> bias, Channel<T> mean,
                             Channel<T> invstd, Dims3 d, int64_t total) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < total; i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t c = (i / d.s) % d.c;
    const T scale = invstd.get(c, T(1)) * weight.get(c, T(1));
    const T shift = bias.get(c, T(0)) - mean.get(c, T(0)) * scale;
    y[i] = x[i] * scale + shift;
  }
}

template <typename T>
__global__ void backward_kernel(T* gi, T* gw, T* gb, const T* go, const T* x, Channel<T> weight, Channel<T> mean,
                                Channel<T> invstd, Dims3 d, bool training) {
  const double count = double(d.n * d.s);
  for (int64_t c = blockIdx.x; c < d.c; c += gridDim.x) {
    const double m = mean.get(c, T(0)), istd = invstd.get(c, T(1)), w = weight.get(c, T(1));
    double s_go = 0, s_go_xhat = 0;
    for (int64_t k = threadIdx.x; k < d.n * d.s; k += blockDim.x) {
      const int64_t i = ((k / d.s) * d.c + c) * d.s + k % d.s;
      s_go += double(go[i]);
      s_go_xhat += double(go[i]) * (double(x[i]) - m) * istd;
    }
    s_go = block_sum(s_go);
    s_go_xhat = block_sum(s_go_xhat);
    if (threadIdx.x == 0) {
      gb[c] = T(s_go);
      gw[c] = T(s_go_xhat);
    }
    const double mean_go = training ? s_go / count : 0.0, mean_go_xhat = training ? s_go_xhat / count : 0.0;
    for (int64_t k = threadIdx.x; k < d.n * d.s; k += blockDim.x) {
      const int64_t i = ((k / d.s) * d.c + c) * d.s + k % d.s;
      const double xhat = (double(x[i]) - m) * istd;
      gi[i] = T(w * istd * (double(go[i]) - mean_go - xhat * mean_go_xhat));
    }
  }
}

int channel_blocks(int64_t C) { return int(std::min<int64_t>(std::max<int64_t>(C, 1), 65535)); }

}  // namespace

void batch_norm_stats(const Tensor& input, const Tensor& save_mean, const Tensor& save_invstd,
                      const Tensor& running_mean, const Tensor& running_var, double momentum, double eps) {
  const int dev = input.device().index;
  set_device(dev);
  const Dims3 d = dims3(input);
  if (d.c == 0) return;
  dispatch_float(input.dtype(), "batch_norm", [&]<typename T>() {
    stats_kernel<T><<<channel_blocks(d.c), kThreads, 0, stream(dev)>>>(
        input.data<T>(), channel<T>(save_mean), channel<T>(save_invstd), channel<T>(running_mean),
        channel<T>(running_var), d, momentum, eps);
    SP_CUDA_LAUNCH_CHECK("batch_norm stats_kernel");
  });
}

void batch_norm_invstd(const Tensor& invstd, const Tensor& var, double eps) {
  const int dev = var.device().index;
  set_device(dev);
  const int64_t C = var.numel();
  if (C == 0) return;
  dispatch_float(var.dtype(), "batch_norm", [&]<typename T>() {
    invstd_kernel<T><<<blocks_for(C), 256, 0, stream(dev)>>>(channel<T>(invstd), channel<T>(var), C, eps);
    SP_CUDA_LAUNCH_CHECK("batch_norm invstd_kernel");
  });
}

void batch_norm_apply(const Tensor& out, const Tensor& input, const Tensor& weight, const Tensor& bias,
                      const Tensor& mean, const Tensor& invstd) {
  const int dev = input.device().index;
  set_device(dev);
  const int64_t total = input.numel();
  if (total == 0) return;
  dispatch_float(input.dtype(), "batch_norm", [&]<typename T>() {
    apply_kernel<T><<<blocks_for(total), 256, 0, stream(dev)>>>(out.data<T>(), input.data<T>(), channel<T>(weight),
                                                                channel<T>(bias), channel<T>(mean),
                                                                channel<T>(invstd), dims3(input), total);
    SP_CUDA_LAUNCH_CHECK("batch_norm apply_kernel");
  });
}

void batch_norm_backward(const Tensor& grad_in, const Tensor& grad_weight, const Tensor& grad_bias,
                         const Tensor& grad_out, const Tensor& input, const Tensor& weight, const Tensor& mean,
                         const Tensor& invstd, bool training) {
  check_same_device(input, grad_out, "batch_norm_backward");
  const int dev = input.device().index;
  set_device(dev);
  const Dims3 d = dims3(input);
  if (d.c == 0) return;
  dispatch_float(input.dtype(), "batch_norm_backward", [&]<typename T>() {
    backward_kernel<T><<<channel_blocks(d.c), kThreads, 0, stream(dev)>>>(
        grad_in.data<T>(), grad_weight.data<T>(), grad_bias.data<T>(), grad_out.data<T>(), input.data<T>(),
        channel<T>(weight), channel<T>(mean), channel<T>(invstd), d, training);
    SP_CUDA_LAUNCH_CHECK("batch_norm backward_kernel");
  });
}

}  // namespace sp::cuda
