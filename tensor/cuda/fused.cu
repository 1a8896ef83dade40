// Fused bias+ReLU and batch-norm(+ReLU) inference kernels (tensor/cuda/fused.h).
#include "tensor/cuda/fused.h"

#include "tensor/cuda/loops.cuh"
#include "tensor/ops/copy.h"
#include "tensor/ops/creation.h"

namespace sp::cuda {

namespace {

// in, out contiguous [outer, C, inner]; scale/shift per channel (scale null: 1).
template <typename T>
__global__ void channel_affine_kernel(T* out, const T* in, const T* scale_w, const T* shift_b, const T* mean,
                                      const T* var, acc_t<T> eps, int64_t n, int64_t C, int64_t inner, bool relu,
                                      bool batch_norm) {
  using A = acc_t<T>;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
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
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    gi[i] = acc_t<T>(y[i]) > acc_t<T>(0) ? g[i] : T(acc_t<T>(0));
}

void check_channels(const Tensor& in, const Tensor& p, const char* what, const char* arg) {
  if (!p.defined()) return;
  const int64_t C = in.dim() >= 2 ? in.size(1) : in.size(0);
  SP_CHECK(p.numel() == C && p.dim() == 1, what, ": expected ", arg, " of shape [", C, "] for input ", in.shape(),
           ", got ", p.shape());
  check_same_device(in, p, what);
}

// Runs the kernel on contiguous buffers and copies back when out is a strided view.
void run(const Tensor& out, const Tensor& in_arg, const Tensor& mean, const Tensor& var, const Tensor& weight,
         const Tensor& bias, double eps, bool relu, bool batch_norm, const char* what) {
  check_defined(in_arg, what);
  SP_CHECK(in_arg.dim() >= 1, what, ": expected an input of shape [N, C, *] or [C, *], got ", in_arg.shape());
  SP_CHECK(out.shape() == in_arg.shape(), what, ": expected out of shape ", in_arg.shape(), ", got ", out.shape());
  check_same_device(out, in_arg, what);
  SP_CHECK(in_arg.is_cuda(), what, ": expected CUDA tensors, got ", in_arg.device());
  const DType dt = out.dtype();
  check_floating(out, what, "out");
  for (const Tensor* p : {&mean, &var, &weight, &bias}) check_channels(in_arg, *p, what, "parameter");
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
        dst.data<T>(), in.data<T>(), ptr(w), ptr(b), ptr(m), ptr(v), acc_t<T>(eps), n, C, inner, relu, batch_norm);
    SP_CUDA_LAUNCH_CHECK("channel_affine_kernel");
  });
  if (!dst.shares_storage(out)) copy_into(out, dst);
}

}  // namespace

void bias_relu(const Tensor& out, const Tensor& in, const Tensor& bias, bool relu) {
  check_defined(bias, "bias_relu");
  run(out, in, Tensor(), Tensor(), Tensor(), bias, 0.0, relu, false, "bias_relu");
}

void batch_norm_inference(const Tensor& out, const Tensor& in, const Tensor& mean, const Tensor& var,
                          const Tensor& weight, const Tensor& bias, double eps, bool relu) {
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
  SP_CHECK(grad.shape() == out_arg.shape(), what, ": expected out of the shape of grad ", grad.shape(), ", got ",
           out_arg.shape());
  check_floating(grad, what, "grad");
  const int dev = grad.device().index;
  set_device(dev);
  Tensor g = grad.contiguous(), y = out_arg.to(grad.dtype()).contiguous();
  Tensor gi = empty(grad.shape(), grad.dtype(), grad.device());
  const int64_t n = gi.numel();
  if (n == 0) return gi;
  dispatch_floating(gi.dtype(), what, [&]<typename T>() {
    relu_backward_kernel<T><<<blocks_for(n), 256, 0, stream(dev)>>>(gi.data<T>(), g.data<T>(), y.data<T>(), n);
    SP_CUDA_LAUNCH_CHECK("relu_backward_kernel");
  });
  return gi;
}

}  // namespace sp::cuda
