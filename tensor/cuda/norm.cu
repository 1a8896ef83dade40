// Batch norm on the GPU (tensor/cuda/norm.h). Per-channel sums are split over
// `splits` blocks per channel (grid [splits, C]), each walking whole rows of S elements
// (no index division), accumulating in double; a second small kernel adds the partials
// of each channel in a fixed order (deterministic). Statistics take two passes (mean,
// then squared deviations), like the CPU. Apply and the input gradient are row kernels.
#include <algorithm>

#include "tensor/cuda/launch.cuh"
#include "tensor/cuda/norm.h"
#include "tensor/dispatch.h"
#include "tensor/ops/creation.h"

namespace sp::cuda {

namespace {

constexpr int kThreads = 256;

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

// Sum of v over the block (blockDim.x == kThreads), valid in thread 0.
__device__ double block_sum(double v) {
  __shared__ double warp_sums[kThreads / 32];
  for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o);
  if ((threadIdx.x & 31) == 0) warp_sums[threadIdx.x >> 5] = v;
  __syncthreads();
  double t = 0;
  if (threadIdx.x == 0)
    for (int w = 0; w < kThreads / 32; ++w) t += warp_sums[w];
  __syncthreads();  // warp_sums is reused by the next call
  return t;
}

// What the partial kernel sums per element: x; (x - mean)^2; go and go * xhat.
enum class Sums { Mean, SquaredDeviation, Backward };

// partial[(c * splits + s) * 2 + k] for k = 0, 1.
template <typename T, Sums kind>
__global__ void partial_sums_kernel(double* partial, const T* x, const T* go, Channel<T> mean,
                                    Channel<T> invstd, const double* mean_totals, Dims3 d,
                                    int64_t splits) {
  const int64_t c = blockIdx.y, s = blockIdx.x;
  // The squared deviations are about the unrounded double mean, like the CPU.
  const double m = kind == Sums::Mean               ? 0.0
                   : kind == Sums::SquaredDeviation ? mean_totals[c * 2] / double(d.n * d.s)
                                                    : double(mean.get(c, T(0)));
  const double istd = kind == Sums::Backward ? double(invstd.get(c, T(1))) : 1.0;
  double a = 0, b = 0;
  for (int64_t n = s; n < d.n; n += splits) {
    const int64_t row = (n * d.c + c) * d.s;
    for (int64_t p = threadIdx.x; p < d.s; p += blockDim.x) {
      const double v = double(x[row + p]);
      if constexpr (kind == Sums::Mean) {
        a += v;
      } else if constexpr (kind == Sums::SquaredDeviation) {
        a += (v - m) * (v - m);
      } else {
        const double g = double(go[row + p]);
        a += g;
        b += g * (v - m) * istd;
      }
    }
  }
  a = block_sum(a);
  if (kind == Sums::Backward) b = block_sum(b);
  if (threadIdx.x == 0) {
    partial[(c * splits + s) * 2] = a;
    partial[(c * splits + s) * 2 + 1] = b;
  }
}

// totals[c * 2 + k]: the partials of channel c added in order.
__global__ void finish_sums_kernel(double* totals, const double* partial, int64_t C,
                                   int64_t splits) {
  const int64_t c = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
  if (c >= C) return;
  double a = 0, b = 0;
  for (int64_t s = 0; s < splits; ++s) {
    a += partial[(c * splits + s) * 2];
    b += partial[(c * splits + s) * 2 + 1];
  }
  totals[c * 2] = a;
  totals[c * 2 + 1] = b;
}

template <typename T>
__global__ void mean_kernel(Channel<T> mean, const double* totals, int64_t C, double count) {
  const int64_t c = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
  if (c < C) mean.p[c * mean.stride] = T(totals[c * 2] / count);
}

template <typename T>
__global__ void var_kernel(Channel<T> invstd, Channel<T> rmean, Channel<T> rvar,
                           const double* mean_totals, const double* sq_totals, int64_t C,
                           double count, double momentum, double eps) {
  const int64_t c = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
  if (c >= C) return;
  const double m = mean_totals[c * 2] / count, var = sq_totals[c * 2] / count;
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

template <typename T>
__global__ void invstd_kernel(Channel<T> invstd, Channel<T> var, int64_t C, double eps) {
  for (int64_t c = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; c < C;
       c += int64_t(gridDim.x) * blockDim.x)
    invstd.p[c * invstd.stride] = T(1.0 / sqrt(double(var.p[c * var.stride]) + eps));
}

// Rows r = n * C + c of S elements; blocks stride over rows (y) and within a row (x).
template <typename T>
__global__ void apply_kernel(T* y, const T* x, Channel<T> weight, Channel<T> bias, Channel<T> mean,
                             Channel<T> invstd, Dims3 d) {
  for (int64_t r = blockIdx.y; r < d.n * d.c; r += gridDim.y) {
    const int64_t c = r % d.c;
    const T scale = invstd.get(c, T(1)) * weight.get(c, T(1));
    const T shift = bias.get(c, T(0)) - mean.get(c, T(0)) * scale;
    for (int64_t p = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; p < d.s;
         p += int64_t(gridDim.x) * blockDim.x)
      y[r * d.s + p] = x[r * d.s + p] * scale + shift;
  }
}

template <typename T>
__global__ void grad_kernel(T* gw, T* gb, const double* totals, int64_t C) {
  const int64_t c = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
  if (c >= C) return;
  gb[c] = T(totals[c * 2]);
  gw[c] = T(totals[c * 2 + 1]);
}

template <typename T>
__global__ void grad_input_kernel(T* gi, const T* go, const T* x, Channel<T> weight,
                                  Channel<T> mean, Channel<T> invstd, const double* totals, Dims3 d,
                                  bool training) {
  const double count = double(d.n * d.s);
  for (int64_t r = blockIdx.y; r < d.n * d.c; r += gridDim.y) {
    const int64_t c = r % d.c;
    const double m = mean.get(c, T(0)), istd = invstd.get(c, T(1)), w = weight.get(c, T(1));
    const double mean_go = training ? totals[c * 2] / count : 0.0;
    const double mean_go_xhat = training ? totals[c * 2 + 1] / count : 0.0;
    for (int64_t p = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; p < d.s;
         p += int64_t(gridDim.x) * blockDim.x) {
      const int64_t i = r * d.s + p;
      const double xhat = (double(x[i]) - m) * istd;
      gi[i] = T(w * istd * (double(go[i]) - mean_go - xhat * mean_go_xhat));
    }
  }
}

int64_t splits_for(const Dims3& d, int dev) {
  int sms = 0;
  SP_CUDA_CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev));
  // ~32 blocks per SM in all: enough loads in flight to stream at full bandwidth.
  return std::max<int64_t>(1, std::min<int64_t>(d.n, (32 * int64_t(sms) + d.c - 1) / d.c));
}

// Grid of the row kernels: x over a row's elements, y over rows.
dim3 row_grid(const Dims3& d) {
  const int64_t x = std::min<int64_t>((d.s + kThreads - 1) / kThreads, 1024);
  const int64_t y = std::min<int64_t>(d.n * d.c, 65535);
  return dim3(unsigned(std::max<int64_t>(x, 1)), unsigned(std::max<int64_t>(y, 1)));
}

// Per-channel sums of `kind` into totals [C, 2] (f64, on the device).
template <typename T, Sums kind>
Tensor channel_sums(const Tensor& x, const Tensor& go, const Tensor& mean, const Tensor& invstd,
                    const Tensor& mean_totals, const Dims3& d, int dev) {
  const int64_t splits = splits_for(d, dev);
  Tensor partial = empty({d.c, splits, 2}, DType::F64, x.device());
  Tensor totals = empty({d.c, 2}, DType::F64, x.device());
  SP_CHECK(d.c <= 65535, "batch_norm: expected at most 65535 channels on CUDA, got ", d.c);
  partial_sums_kernel<T, kind><<<dim3(unsigned(splits), unsigned(d.c)), kThreads, 0, stream(dev)>>>(
      partial.data<double>(), x.data<T>(), go.defined() ? go.data<T>() : nullptr, channel<T>(mean),
      channel<T>(invstd), mean_totals.defined() ? mean_totals.data<double>() : nullptr, d, splits);
  SP_CUDA_LAUNCH_CHECK("batch_norm partial_sums_kernel");
  finish_sums_kernel<<<blocks_for(d.c), 256, 0, stream(dev)>>>(totals.data<double>(),
                                                               partial.data<double>(), d.c, splits);
  SP_CUDA_LAUNCH_CHECK("batch_norm finish_sums_kernel");
  return totals;
}

}  // namespace

void batch_norm_stats(const Tensor& input, const Tensor& save_mean, const Tensor& save_invstd,
                      const Tensor& running_mean, const Tensor& running_var, double momentum,
                      double eps) {
  const int dev = input.device().index;
  set_device(dev);
  const Dims3 d = dims3(input);
  if (d.c == 0) return;
  const double count = double(d.n * d.s);
  dispatch_float(input.dtype(), "batch_norm", [&]<typename T>() {
    Tensor sums =
        channel_sums<T, Sums::Mean>(input, Tensor(), Tensor(), Tensor(), Tensor(), d, dev);
    mean_kernel<T><<<blocks_for(d.c), 256, 0, stream(dev)>>>(channel<T>(save_mean),
                                                             sums.data<double>(), d.c, count);
    SP_CUDA_LAUNCH_CHECK("batch_norm mean_kernel");
    Tensor sq =
        channel_sums<T, Sums::SquaredDeviation>(input, Tensor(), Tensor(), Tensor(), sums, d, dev);
    var_kernel<T><<<blocks_for(d.c), 256, 0, stream(dev)>>>(
        channel<T>(save_invstd), channel<T>(running_mean), channel<T>(running_var),
        sums.data<double>(), sq.data<double>(), d.c, count, momentum, eps);
    SP_CUDA_LAUNCH_CHECK("batch_norm var_kernel");
  });
}

void batch_norm_invstd(const Tensor& invstd, const Tensor& var, double eps) {
  const int dev = var.device().index;
  set_device(dev);
  const int64_t C = var.numel();
  if (C == 0) return;
  dispatch_float(var.dtype(), "batch_norm", [&]<typename T>() {
    invstd_kernel<T>
        <<<blocks_for(C), 256, 0, stream(dev)>>>(channel<T>(invstd), channel<T>(var), C, eps);
    SP_CUDA_LAUNCH_CHECK("batch_norm invstd_kernel");
  });
}

void batch_norm_apply(const Tensor& out, const Tensor& input, const Tensor& weight,
                      const Tensor& bias, const Tensor& mean, const Tensor& invstd) {
  const int dev = input.device().index;
  set_device(dev);
  if (input.numel() == 0) return;
  const Dims3 d = dims3(input);
  dispatch_float(input.dtype(), "batch_norm", [&]<typename T>() {
    apply_kernel<T><<<row_grid(d), kThreads, 0, stream(dev)>>>(
        out.data<T>(), input.data<T>(), channel<T>(weight), channel<T>(bias), channel<T>(mean),
        channel<T>(invstd), d);
    SP_CUDA_LAUNCH_CHECK("batch_norm apply_kernel");
  });
}

void batch_norm_backward(const Tensor& grad_in, const Tensor& grad_weight, const Tensor& grad_bias,
                         const Tensor& grad_out, const Tensor& input, const Tensor& weight,
                         const Tensor& mean, const Tensor& invstd, bool training) {
  check_same_device(input, grad_out, "batch_norm_backward");
  const int dev = input.device().index;
  set_device(dev);
  const Dims3 d = dims3(input);
  if (d.c == 0) return;
  dispatch_float(input.dtype(), "batch_norm_backward", [&]<typename T>() {
    Tensor sums = channel_sums<T, Sums::Backward>(input, grad_out, mean, invstd, Tensor(), d, dev);
    grad_kernel<T><<<blocks_for(d.c), 256, 0, stream(dev)>>>(
        grad_weight.data<T>(), grad_bias.data<T>(), sums.data<double>(), d.c);
    SP_CUDA_LAUNCH_CHECK("batch_norm grad_kernel");
    if (input.numel() == 0) return;
    grad_input_kernel<T><<<row_grid(d), kThreads, 0, stream(dev)>>>(
        grad_in.data<T>(), grad_out.data<T>(), input.data<T>(), channel<T>(weight),
        channel<T>(mean), channel<T>(invstd), sums.data<double>(), d, training);
    SP_CUDA_LAUNCH_CHECK("batch_norm grad_input_kernel");
  });
}

}  // namespace sp::cuda
