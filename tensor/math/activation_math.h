// Derivatives of the smooth unary ops, shared by the CPU and CUDA backward kernels
// (tensor/ops/activation.h): each functor maps (x, params) to f'(x) in the compute type C.
// The formulas are PyTorch's (softplus_backward, log_sigmoid_backward, gelu_backward).
#pragma once

#include "tensor/math/elementwise_math.h"

namespace sp::math {

struct SinGrad {
  template <typename C>
  SP_HOST_DEVICE C operator()(C x) const {
    return cos_(x);
  }
};
struct CosGrad {
  template <typename C>
  SP_HOST_DEVICE C operator()(C x) const {
    return -sin_(x);
  }
};
struct Log1pGrad {
  template <typename C>
  SP_HOST_DEVICE C operator()(C x) const {
    return C(1) / (C(1) + x);
  }
};
struct Expm1Grad {
  template <typename C>
  SP_HOST_DEVICE C operator()(C x) const {
    return exp_(x);
  }
};
// sigmoid(beta x), and 1 where the forward passed x through (beta x > threshold).
template <typename C>
struct SoftplusGrad {
  C beta, threshold;
  SP_HOST_DEVICE C operator()(C x) const {
    const C bx = x * beta;
    return bx > threshold ? C(1) : C(1) / (C(1) + exp_(-bx));
  }
};
// sigmoid(-x) = 1 / (1 + exp(x)): exp overflowing to inf gives the right 0.
struct LogSigmoidGrad {
  template <typename C>
  SP_HOST_DEVICE C operator()(C x) const {
    return C(1) / (C(1) + exp_(x));
  }
};
// Phi(x) + x phi(x).
struct GeluGrad {
  template <typename C>
  SP_HOST_DEVICE C operator()(C x) const {
    const C cdf = C(0.5) * (C(1) + erf_(x * C(0.70710678118654752440)));
    const C pdf = exp_(C(-0.5) * x * x) * C(0.39894228040143267794);
    return cdf + x * pdf;
  }
};
struct GeluTanhGrad {
  template <typename C>
  SP_HOST_DEVICE C operator()(C x) const {
    constexpr double kBeta = 0.79788456080286535588, kKappa = 0.044715;
    const C inner = C(kBeta) * (x + C(kKappa) * x * x * x);
    const C t = tanh_(inner);
    const C left = C(0.5) * x, right = C(1) + t;
    return C(0.5) * right + left * (C(1) - t * t) * C(kBeta) * (C(1) + C(3 * kKappa) * x * x);
  }
};

// PReLU: x where x > 0, else w x; its input derivative is 1 or w.
template <typename C>
SP_HOST_DEVICE inline C prelu(C x, C w) {
  return x > C(0) ? x : w * x;
}

}  // namespace sp::math
