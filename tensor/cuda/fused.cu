// Fused bias+ReLU and batch-norm(+ReLU) inference kernels (tensor/cuda/fused.h).
#include <algorithm>

#include "tensor/cuda/fused.h"
#include "tensor/cuda/loops.cuh"
#include "tensor/ops/copy.h"
#include "tensor/ops/creation.h"

namespace sp::cuda {

namespace {

// in, out contiguous [outer, C, inner]; scale/shift per channel (scale null: 1).
template <typename T>
__global__ void channel_affine_kernel(T* out, const T* in, const T* scale_w, const T* shift_b,
                                      const T* mean, const T* var, acc_t<T> eps, int64_t n,
                                      int64_t C, int64_t inner, bool relu, bool batch_norm) {
  using A = acc_t<T>;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t c = (i / inner) % C;
    A v = A(in[i]);
    if (batch_norm) {
      A s = A(1) / sqrt(A(var[c]) + eps);
      if (scale_w) s *= A(scale_w[c]);
      v = (v - A(mean[c])) * s;
      if (shift_b) v += A(shift_b[c]);
    } else {
      v += A(shift_b[c]);
    }
    if (relu) v = v < A(0) ? A(0) : v;  // clamp_min: NaN stays NaN
    out[i] = T(v);
  }
}

template <typename T>
__global__ void relu_backward_kernel(T* gi, const T* g, const T* y, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x)
    gi[i] = acc_t<T>(y[i]) > acc_t<T>(0) ? g[i] : T(acc_t<T>(0));
}

// grid [splits, C]: block (s, c) walks rows n = s, s + splits, ... of channel c.
template <typename T, bool kRelu>
__global__ void channel_sum_partial_kernel(T* partial, T* gi, const T* g, const T* y, int64_t N,
                                           int64_t C, int64_t P, int64_t splits) {
  const int64_t c = blockIdx.y, s = blockIdx.x;
  T acc = 0;
  for (int64_t n = s; n < N; n += splits) {
    const int64_t row = (n * C + c) * P;
#pragma unroll 4
    for (int64_t p = threadIdx.x; p < P; p += blockDim.x) {
      T v = g[row + p];
      if constexpr (kRelu) {
        v = y[row + p] > T(0) ? v : T(0);
        gi[row + p] = v;
      }
      acc += v;
    }
  }
  __shared__ T warp_sums[32];
  for (int off = 16; off > 0; off /= 2) acc += __shfl_down_sync(0xffffffffu, acc, off);
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  if (lane == 0) warp_sums[warp] = acc;
  __syncthreads();
  if (warp == 0) {
    acc = lane < int(blockDim.x / 32) ? warp_sums[lane] : T(0);
    for (int off = 16; off > 0; off /= 2) acc += __shfl_down_sync(0xffffffffu, acc, off);
    if (lane == 0) partial[c * splits + s] = acc;
  }
}

template <typename T>
__global__ void channel_sum_finish_kernel(T* out, const T* partial, int64_t C, int64_t splits) {
  const int64_t c = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
  if (c >= C) return;
  T acc = 0;
  for (int64_t s = 0; s < splits; ++s) acc += partial[c * splits + s];
  out[c] = acc;
}

void check_channels(const Tensor& in, const Tensor& p, const char* what, const char* arg) {
  if (!p.defined()) return;
  const int64_t C = in.dim() >= 2 ? in.size(1) : in.size(0);
  SP_CHECK(p.numel() == C && p.dim() == 1, what, ": expected ", arg, " of shape [", C,
           "] for input ", in.shape(), ", got ", p.shape());
  check_same_device(in, p, what);
}

// Runs the kernel on contiguous buffers and copies back when out is a strided view.
void run(const Tensor& out, const Tensor& in_arg, const Tensor& mean, const Tensor& var,
         const Tensor& weight, const Tensor& bias, double eps, bool relu, bool batch_norm,
         const char* what) {
  check_defined(in_arg, what);
  SP_CHECK(in_arg.dim() >= 1, what, ": expected an input of shape [N, C, *] or [C, *], got ",
           in_arg.shape());
  SP_CHECK(out.shape() == in_arg.shape(), what, ": expected out of shape ", in_arg.shape(),
           ", got ", out.shape());
  check_same_device(out, in_arg, what);
  SP_CHECK(in_arg.is_cuda(), what, ": expected CUDA tensors, got ", in_arg.device());
  const DType dt = out.dtype();
  check_floating(out, what, "out");
  for (const Tensor* p : {&mean, &var, &weight, &bias})
    check_channels(in_arg, *p, what, "parameter");
  const int dev = out.device().index;
  set_device(dev);
  const int64_t n = in_arg.numel();
  if (n == 0) return;
  const int64_t C = in_arg.dim() >= 2 ? in_arg.size(1) : in_arg.size(0);
  const int64_t inner = n / (C * (in_arg.dim() >= 2 ? in_arg.size(0) : 1));
  Tensor in = in_arg.to(dt).contiguous();
  Tensor dst = out.is_contiguous() ? out : empty(out.shape(), dt, out.device());
  auto param = [&](const Tensor& p) { return p.defined() ? p.to(dt).contiguous() : p; };
  Tensor m = param(mean), v = param(var), w = param(weight), b = param(bias);
  dispatch_floating(dt, what, [&]<typename T>() {
    auto ptr = [](const Tensor& p) { return p.defined() ? p.data<T>() : nullptr; };
    channel_affine_kernel<T><<<blocks_for(n), 256, 0, stream(dev)>>>(
        dst.data<T>(), in.data<T>(), ptr(w), ptr(b), ptr(m), ptr(v), acc_t<T>(eps), n, C, inner,
        relu, batch_norm);
    SP_CUDA_LAUNCH_CHECK("channel_affine_kernel");
  });
  if (!dst.shares_storage(out)) copy_into(out, dst);
}

}  // namespace

void bias_relu(const Tensor& out, const Tensor& in, const Tensor& bias, bool relu) {
  check_defined(bias, "bias_relu");
  run(out, in, Tensor(), Tensor(), Tensor(), bias, 0.0, relu, false, "bias_relu");
}

void batch_norm_inference(const Tensor& out, const Tensor& in, const Tensor& mean,
                          const Tensor& var, const Tensor& weight, const Tensor& bias, double eps,
                          bool relu) {
  check_defined(mean, "batch_norm_inference");
  check_defined(var, "batch_norm_inference");
  run(out, in, mean, var, weight, bias, eps, relu, true, "batch_norm_inference");
}

Tensor relu_backward(const Tensor& grad, const Tensor& out_arg) {
  const char* what = "relu_backward";
  check_defined(grad, what);
  check_defined(out_arg, what);
  check_same_device(grad, out_arg, what);
  SP_CHECK(grad.is_cuda(), what, ": expected CUDA tensors, got ", grad.device());
  SP_CHECK(grad.shape() == out_arg.shape(), what, ": expected out of the shape of grad ",
           grad.shape(), ", got ", out_arg.shape());
  check_floating(grad, what, "grad");
  const int dev = grad.device().index;
  set_device(dev);
  Tensor g = grad.contiguous(), y = out_arg.to(grad.dtype()).contiguous();
  Tensor gi = empty(grad.shape(), grad.dtype(), grad.device());
  const int64_t n = gi.numel();
  if (n == 0) return gi;
  dispatch_floating(gi.dtype(), what, [&]<typename T>() {
    relu_backward_kernel<T>
        <<<blocks_for(n), 256, 0, stream(dev)>>>(gi.data<T>(), g.data<T>(), y.data<T>(), n);
    SP_CUDA_LAUNCH_CHECK("relu_backward_kernel");
  });
  return gi;
}

void relu_backward_channel_sum(const Tensor& grad_in, const Tensor& channel_sum, const Tensor& grad,
                               const Tensor& out) {
  const char* what = "relu_backward_channel_sum";
  check_defined(grad, what);
  check_defined(channel_sum, what);
  SP_CHECK(grad.is_cuda() && grad.dim() >= 2 && grad.is_contiguous(), what,
           ": expected a contiguous CUDA grad [N, C, *], got ", grad.meta());
  const int64_t N = grad.size(0), C = grad.size(1), P = N * C > 0 ? grad.numel() / (N * C) : 0;
  SP_CHECK(channel_sum.numel() == C && channel_sum.is_contiguous() &&
               channel_sum.dtype() == grad.dtype(),
           what, ": expected a contiguous channel_sum of ", C, " elements of dtype ", grad.dtype(),
           ", got ", channel_sum.meta());
  const bool relu = out.defined();
  if (relu)
    SP_CHECK(out.shape() == grad.shape() && out.is_contiguous() && out.dtype() == grad.dtype() &&
                 grad_in.defined() && grad_in.shape() == grad.shape() && grad_in.is_contiguous(),
             what, ": expected contiguous out and grad_in like grad ", grad.meta(), ", got ",
             out.meta(), " and ", grad_in.defined() ? grad_in.meta() : std::string("undefined"));
  const int dev = grad.device().index;
  set_device(dev);
  if (C == 0) return;
  SP_CHECK(C <= 65535, what, ": expected at most 65535 channels, got ", grad.shape());
  // Enough blocks to keep the memory system busy (~32 per SM), each over whole rows.
  int sms = 0;
  SP_CUDA_CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev));
  const int64_t splits =
      std::max<int64_t>(1, std::min<int64_t>(N, (32 * int64_t(sms) + C - 1) / C));
  Tensor partial = empty({C, splits}, grad.dtype(), grad.device());
  const int threads = P >= 256 ? 256 : (P >= 128 ? 128 : 64);
  dispatch_float(grad.dtype(), what, [&]<typename T>() {
    const dim3 grid{unsigned(splits), unsigned(C)};
    if (relu)
      channel_sum_partial_kernel<T, true><<<grid, threads, 0, stream(dev)>>>(
          partial.data<T>(), grad_in.data<T>(), grad.data<T>(), out.data<T>(), N, C, P, splits);
    else
      channel_sum_partial_kernel<T, false><<<grid, threads, 0, stream(dev)>>>(
          partial.data<T>(), nullptr, grad.data<T>(), nullptr, N, C, P, splits);
    SP_CUDA_LAUNCH_CHECK("channel_sum_partial_kernel");
    channel_sum_finish_kernel<T><<<blocks_for(C), 256, 0, stream(dev)>>>(
        channel_sum.data<T>(), partial.data<T>(), C, splits);
    SP_CUDA_LAUNCH_CHECK("channel_sum_finish_kernel");
  });
}

}  // namespace sp::cuda
