// CPU kernels of tensor/ops/activation.h: flat OpenMP loops over contiguous tensors;
// the PReLU weight gradient sums each channel in double, channel by channel (ordered).
#include "tensor/ops/activation.h"

#include <vector>

#include "tensor/dispatch.h"
#include "tensor/math/activation_math.h"

namespace sp::cpu {
namespace {

using math::compute_t;
constexpr int64_t kParallelElements = 32768;

template <typename T, typename D>
void backward_loop(const Tensor& out, const Tensor& grad, const Tensor& x, const D& deriv) {
  using C = compute_t<T>;
  const T* pg = grad.data<T>();
  const T* px = x.data<T>();
  T* po = out.data<T>();
  const int64_t n = out.numel();
#pragma omp parallel for schedule(static) if (n >= kParallelElements)
  for (int64_t i = 0; i < n; ++i) po[i] = T(C(pg[i]) * deriv(C(px[i])));
}

}  // namespace

void unary_backward(UnaryOp op, const Tensor& out, const Tensor& grad, const Tensor& x,
                    const UnaryParams& p) {
  dispatch_floating(x.dtype(), op_name(op), [&]<typename T>() {
    using C = compute_t<T>;
    switch (op) {
      case UnaryOp::Sin:
        return backward_loop<T>(out, grad, x, math::SinGrad{});
      case UnaryOp::Cos:
        return backward_loop<T>(out, grad, x, math::CosGrad{});
      case UnaryOp::Log1p:
        return backward_loop<T>(out, grad, x, math::Log1pGrad{});
      case UnaryOp::Expm1:
        return backward_loop<T>(out, grad, x, math::Expm1Grad{});
      case UnaryOp::Softplus:
        return backward_loop<T>(out, grad, x, math::SoftplusGrad<C>{C(p.a), C(p.b)});
      case UnaryOp::LogSigmoid:
        return backward_loop<T>(out, grad, x, math::LogSigmoidGrad{});
      case UnaryOp::Gelu:
        return backward_loop<T>(out, grad, x, math::GeluGrad{});
      case UnaryOp::GeluTanh:
        return backward_loop<T>(out, grad, x, math::GeluTanhGrad{});
      default:
        SP_ASSERT(false, op_name(op), " has no backward kernel");
    }
  });
}

void prelu(const Tensor& out, const Tensor& x, const Tensor& weight, int64_t N, int64_t C,
           int64_t S) {
  dispatch_floating(x.dtype(), "prelu", [&]<typename T>() {
    using A = compute_t<T>;
    const T* px = x.data<T>();
    const T* pw = weight.data<T>();
    T* po = out.data<T>();
#pragma omp parallel for collapse(2) schedule(static) if (N * C * S >= kParallelElements)
    for (int64_t n = 0; n < N; ++n)
      for (int64_t c = 0; c < C; ++c) {
        const A w = A(pw[c]);
        const int64_t row = (n * C + c) * S;
        for (int64_t s = 0; s < S; ++s) po[row + s] = T(math::prelu(A(px[row + s]), w));
      }
  });
}

void prelu_backward(const Tensor& grad_input, const Tensor& grad_weight, const Tensor& grad,
                    const Tensor& x, const Tensor& weight, int64_t N, int64_t C, int64_t S) {
  dispatch_floating(x.dtype(), "prelu_backward", [&]<typename T>() {
    using A = compute_t<T>;
    const T* px = x.data<T>();
    const T* pg = grad.data<T>();
    const T* pw = weight.data<T>();
    T* pgi = grad_input.data<T>();
    T* pgw = grad_weight.data<T>();
    // One channel's rows per iteration: the weight gradient is summed in a fixed order.
#pragma omp parallel for schedule(static) if (N * C * S >= kParallelElements && C > 1)
    for (int64_t c = 0; c < C; ++c) {
      const A w = A(pw[c]);
      double sum = 0;
      for (int64_t n = 0; n < N; ++n) {
        const int64_t row = (n * C + c) * S;
        for (int64_t s = 0; s < S; ++s) {
          const A v = A(px[row + s]), g = A(pg[row + s]);
          const bool pos = v > A(0);
          pgi[row + s] = T(pos ? g : g * w);
          if (!pos) sum += double(g) * double(v);
        }
      }
      pgw[c] = T(sum);
    }
  });
}

}  // namespace sp::cpu
