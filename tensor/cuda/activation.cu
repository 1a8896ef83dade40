// CUDA kernels of tensor/ops/activation.h (tensor/cuda/activation.h): grid-stride loops
// over contiguous tensors with the derivative functors of tensor/math/activation_math.h;
// the PReLU weight gradient is one block per channel summing in double (deterministic).
#include "tensor/cuda/activation.h"
#include "tensor/cuda/launch.cuh"
#include "tensor/cuda/loops.cuh"
#include "tensor/math/activation_math.h"

namespace sp::cuda {
namespace {

constexpr int kThreads = 256;

template <typename T, typename D>
__global__ void unary_backward_kernel(T* out, const T* grad, const T* x, int64_t n, D deriv) {
  using C = acc_t<T>;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x)
    out[i] = T(C(grad[i]) * deriv(C(x[i])));
}

template <typename T, typename D>
void launch_backward(const Tensor& out, const Tensor& grad, const Tensor& x, const D& deriv) {
  const int64_t n = out.numel();
  unary_backward_kernel<T><<<blocks_for(n, kThreads), kThreads, 0, stream(out.device().index)>>>(
      out.data<T>(), grad.data<T>(), x.data<T>(), n, deriv);
  SP_CUDA_LAUNCH_CHECK("unary_backward_kernel");
}

template <typename T>
__global__ void prelu_kernel(T* out, const T* x, const T* w, int64_t n, int64_t C, int64_t S) {
  using A = acc_t<T>;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x)
    out[i] = T(math::prelu(A(x[i]), A(w[(i / S) % C])));
}

template <typename T>
__global__ void prelu_grad_input_kernel(T* gi, const T* g, const T* x, const T* w, int64_t n,
                                        int64_t C, int64_t S) {
  using A = acc_t<T>;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x) {
    const A v = A(x[i]), gv = A(g[i]);
    gi[i] = T(v > A(0) ? gv : gv * A(w[(i / S) % C]));
  }
}

// Block c: sum over n, s of g * x where x <= 0.
template <typename T>
__global__ void prelu_grad_weight_kernel(T* gw, const T* g, const T* x, int64_t N, int64_t C,
                                         int64_t S) {
  __shared__ double partial[kThreads];
  const int64_t c = blockIdx.x;
  double sum = 0;
  for (int64_t k = threadIdx.x; k < N * S; k += blockDim.x) {
    const int64_t i = ((k / S) * C + c) * S + k % S;
    const double v = double(acc_t<T>(x[i]));
    if (!(v > 0)) sum += double(acc_t<T>(g[i])) * v;
  }
  partial[threadIdx.x] = sum;
  __syncthreads();
  for (int half = kThreads / 2; half > 0; half >>= 1) {
    if (threadIdx.x < half) partial[threadIdx.x] += partial[threadIdx.x + half];
    __syncthreads();
  }
  if (threadIdx.x == 0) gw[c] = T(partial[0]);
}

}  // namespace

void unary_backward(UnaryOp op, const Tensor& out, const Tensor& grad, const Tensor& x,
                    const UnaryParams& p) {
  set_device(out.device().index);
  dispatch_floating(x.dtype(), op_name(op), [&]<typename T>() {
    using C = acc_t<T>;
    switch (op) {
      case UnaryOp::Sin:
        return launch_backward<T>(out, grad, x, math::SinGrad{});
      case UnaryOp::Cos:
        return launch_backward<T>(out, grad, x, math::CosGrad{});
      case UnaryOp::Log1p:
        return launch_backward<T>(out, grad, x, math::Log1pGrad{});
      case UnaryOp::Expm1:
        return launch_backward<T>(out, grad, x, math::Expm1Grad{});
      case UnaryOp::Softplus:
        return launch_backward<T>(out, grad, x, math::SoftplusGrad<C>{C(p.a), C(p.b)});
      case UnaryOp::LogSigmoid:
        return launch_backward<T>(out, grad, x, math::LogSigmoidGrad{});
      case UnaryOp::Gelu:
        return launch_backward<T>(out, grad, x, math::GeluGrad{});
      case UnaryOp::GeluTanh:
        return launch_backward<T>(out, grad, x, math::GeluTanhGrad{});
      default:
        SP_ASSERT(false, op_name(op), " has no backward kernel");
    }
  });
}

void prelu(const Tensor& out, const Tensor& x, const Tensor& weight, int64_t N, int64_t C,
           int64_t S) {
  set_device(out.device().index);
  const int64_t n = N * C * S;
  dispatch_floating(x.dtype(), "prelu", [&]<typename T>() {
    prelu_kernel<T><<<blocks_for(n, kThreads), kThreads, 0, stream(out.device().index)>>>(
        out.data<T>(), x.data<T>(), weight.data<T>(), n, C, S);
    SP_CUDA_LAUNCH_CHECK("prelu_kernel");
  });
}

void prelu_backward(const Tensor& grad_input, const Tensor& grad_weight, const Tensor& grad,
                    const Tensor& x, const Tensor& weight, int64_t N, int64_t C, int64_t S) {
  const int dev = x.device().index;
  set_device(dev);
  const int64_t n = N * C * S;
  dispatch_floating(x.dtype(), "prelu_backward", [&]<typename T>() {
    prelu_grad_input_kernel<T><<<blocks_for(n, kThreads), kThreads, 0, stream(dev)>>>(
        grad_input.data<T>(), grad.data<T>(), x.data<T>(), weight.data<T>(), n, C, S);
    SP_CUDA_LAUNCH_CHECK("prelu_grad_input_kernel");
    prelu_grad_weight_kernel<T><<<int(C), kThreads, 0, stream(dev)>>>(
        grad_weight.data<T>(), grad.data<T>(), x.data<T>(), N, C, S);
    SP_CUDA_LAUNCH_CHECK("prelu_grad_weight_kernel");
  });
}

}  // namespace sp::cuda
