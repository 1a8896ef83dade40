// Scalar math shared by the CPU and CUDA elementwise kernels. Every functor takes and
// returns the compute type C (float for f16/bf16 storage, the storage type otherwise);
// kernels convert on load and store. NaN handling follows PyTorch: maximum/minimum,
// relu and clamp propagate NaN, sign(NaN) is 0.
#pragma once

#include <cmath>
#include <cstdint>
#include <type_traits>

#include "tensor/math/half.h"

namespace sp::math {

// The type a kernel computes in for storage type T.
template <typename T>
struct compute {
  using type = T;
};
template <>
struct compute<Half> {
  using type = float;
};
template <>
struct compute<BFloat16> {
  using type = float;
};
template <typename T>
using compute_t = typename compute<T>::type;

template <typename C>
inline constexpr bool is_float_v = std::is_floating_point_v<C>;

template <typename C>
SP_HOST_DEVICE inline bool is_nan(C v) {
  if constexpr (is_float_v<C>)
    return v != v;
  else
    return false;
}

// Float/double overloads of the C math library, callable from host and device code.
#define SP_MATH_UNARY(NAME, FN)                 \
  SP_HOST_DEVICE inline float NAME(float x) {   \
    return ::FN##f(x);                          \
  }                                             \
  SP_HOST_DEVICE inline double NAME(double x) { \
    return ::FN(x);                             \
  }
SP_MATH_UNARY(exp_, exp)
SP_MATH_UNARY(log_, log)
SP_MATH_UNARY(sqrt_, sqrt)
SP_MATH_UNARY(tanh_, tanh)
SP_MATH_UNARY(floor_, floor)
SP_MATH_UNARY(ceil_, ceil)
SP_MATH_UNARY(nearbyint_, nearbyint)  // round half to even, like torch.round
SP_MATH_UNARY(fabs_, fabs)
SP_MATH_UNARY(sin_, sin)
SP_MATH_UNARY(cos_, cos)
SP_MATH_UNARY(log1p_, log1p)
SP_MATH_UNARY(expm1_, expm1)
SP_MATH_UNARY(erf_, erf)
#undef SP_MATH_UNARY
SP_HOST_DEVICE inline float pow_(float a, float b) {
  return ::powf(a, b);
}
SP_HOST_DEVICE inline double pow_(double a, double b) {
  return ::pow(a, b);
}
SP_HOST_DEVICE inline float atan2_(float a, float b) {
  return ::atan2f(a, b);
}
SP_HOST_DEVICE inline double atan2_(double a, double b) {
  return ::atan2(a, b);
}

// Integer power by squaring; negative exponents give what PyTorch's tensor pow gives.
template <typename C>
SP_HOST_DEVICE inline C int_pow(C base, C exp) {
  if constexpr (std::is_signed_v<C>) {
    if (exp < 0) {
      if (base == 1) return 1;
      if (base == -1) return (exp & 1) ? C(-1) : C(1);
      return 0;
    }
  }
  C result = 1;
  while (exp) {
    if (exp & 1) result = static_cast<C>(result * base);
    exp = static_cast<C>(exp >> 1);
    base = static_cast<C>(base * base);
  }
  return result;
}

// ---- binary ---------------------------------------------------------------------------
struct Add {
  template <typename C>
  SP_HOST_DEVICE C operator()(C a, C b) const {
    return static_cast<C>(a + b);
  }
};
// a + alpha * b (add with alpha, sub is alpha = -1).
template <typename C>
struct AddAlpha {
  C alpha;
  SP_HOST_DEVICE C operator()(C a, C b) const { return static_cast<C>(a + alpha * b); }
};
struct Sub {
  template <typename C>
  SP_HOST_DEVICE C operator()(C a, C b) const {
    return static_cast<C>(a - b);
  }
};
struct Mul {
  template <typename C>
  SP_HOST_DEVICE C operator()(C a, C b) const {
    if constexpr (std::is_same_v<C, bool>)
      return a && b;
    else
      return static_cast<C>(a * b);
  }
};
struct Div {  // true division: callers promote integers to a float type first
  template <typename C>
  SP_HOST_DEVICE C operator()(C a, C b) const {
    return a / b;
  }
};
struct Pow {
  template <typename C>
  SP_HOST_DEVICE C operator()(C a, C b) const {
    if constexpr (is_float_v<C>)
      return pow_(a, b);
    else
      return int_pow(a, b);
  }
};
struct Maximum {
  template <typename C>
  SP_HOST_DEVICE C operator()(C a, C b) const {
    if (is_nan(a)) return a;
    if (is_nan(b)) return b;
    return a > b ? a : b;
  }
};
struct Minimum {
  template <typename C>
  SP_HOST_DEVICE C operator()(C a, C b) const {
    if (is_nan(a)) return a;
    if (is_nan(b)) return b;
    return a < b ? a : b;
  }
};
struct Atan2 {
  template <typename C>
  SP_HOST_DEVICE C operator()(C a, C b) const {
    return atan2_(a, b);
  }
};
struct Eq {
  template <typename C>
  SP_HOST_DEVICE bool operator()(C a, C b) const {
    return a == b;
  }
};
struct Ne {
  template <typename C>
  SP_HOST_DEVICE bool operator()(C a, C b) const {
    return a != b;
  }
};
struct Lt {
  template <typename C>
  SP_HOST_DEVICE bool operator()(C a, C b) const {
    return a < b;
  }
};
struct Le {
  template <typename C>
  SP_HOST_DEVICE bool operator()(C a, C b) const {
    return a <= b;
  }
};
struct Gt {
  template <typename C>
  SP_HOST_DEVICE bool operator()(C a, C b) const {
    return a > b;
  }
};
struct Ge {
  template <typename C>
  SP_HOST_DEVICE bool operator()(C a, C b) const {
    return a >= b;
  }
};
// Logical ops see operands already converted to bool.
struct LogicalAnd {
  SP_HOST_DEVICE bool operator()(bool a, bool b) const { return a && b; }
};
struct LogicalOr {
  SP_HOST_DEVICE bool operator()(bool a, bool b) const { return a || b; }
};
struct LogicalXor {
  SP_HOST_DEVICE bool operator()(bool a, bool b) const { return a != b; }
};

// ---- unary ----------------------------------------------------------------------------
struct Neg {
  template <typename C>
  SP_HOST_DEVICE C operator()(C x) const {
    return static_cast<C>(-x);
  }
};
struct Abs {
  template <typename C>
  SP_HOST_DEVICE C operator()(C x) const {
    if constexpr (is_float_v<C>)
      return fabs_(x);
    else if constexpr (std::is_signed_v<C>)
      return x < 0 ? static_cast<C>(-x) : x;
    else
      return x;
  }
};
struct Exp {
  template <typename C>
  SP_HOST_DEVICE C operator()(C x) const {
    return exp_(x);
  }
};
struct Log {
  template <typename C>
  SP_HOST_DEVICE C operator()(C x) const {
    return log_(x);
  }
};
struct Sqrt {
  template <typename C>
  SP_HOST_DEVICE C operator()(C x) const {
    return sqrt_(x);
  }
};
struct Rsqrt {
  template <typename C>
  SP_HOST_DEVICE C operator()(C x) const {
    return C(1) / sqrt_(x);
  }
};
struct Sigmoid {
  template <typename C>
  SP_HOST_DEVICE C operator()(C x) const {
    return C(1) / (C(1) + exp_(-x));
  }
};
struct Tanh {
  template <typename C>
  SP_HOST_DEVICE C operator()(C x) const {
    return tanh_(x);
  }
};
struct Relu {  // NaN stays NaN, -0.0 stays -0.0 (PyTorch's clamp_min(x, 0))
  template <typename C>
  SP_HOST_DEVICE C operator()(C x) const {
    if constexpr (std::is_unsigned_v<C>)
      return x;
    else
      return x < C(0) ? C(0) : x;
  }
};
template <typename C>
struct LeakyRelu {
  C slope;
  SP_HOST_DEVICE C operator()(C x) const { return x > C(0) ? x : static_cast<C>(x * slope); }
};
template <typename C>
struct Clamp {
  C lo, hi;
  bool has_lo, has_hi;
  SP_HOST_DEVICE C operator()(C x) const {
    if (is_nan(x)) return x;
    if (has_lo && x < lo) x = lo;
    if (has_hi && x > hi) x = hi;  // lo > hi gives hi, like PyTorch
    return x;
  }
};
struct Sign {
  template <typename C>
  SP_HOST_DEVICE C operator()(C x) const {
    if constexpr (std::is_unsigned_v<C>)
      return static_cast<C>(x != 0);
    else
      return static_cast<C>((C(0) < x) - (x < C(0)));
  }
};
struct Square {
  template <typename C>
  SP_HOST_DEVICE C operator()(C x) const {
    return static_cast<C>(x * x);
  }
};
struct Reciprocal {
  template <typename C>
  SP_HOST_DEVICE C operator()(C x) const {
    return C(1) / x;
  }
};
struct Floor {
  template <typename C>
  SP_HOST_DEVICE C operator()(C x) const {
    return floor_(x);
  }
};
struct Ceil {
  template <typename C>
  SP_HOST_DEVICE C operator()(C x) const {
    return ceil_(x);
  }
};
struct Round {
  template <typename C>
  SP_HOST_DEVICE C operator()(C x) const {
    return nearbyint_(x);
  }
};
struct IsNan {
  template <typename C>
  SP_HOST_DEVICE bool operator()(C x) const {
    return is_nan(x);
  }
};
struct IsFinite {
  template <typename C>
  SP_HOST_DEVICE bool operator()(C x) const {
    if constexpr (is_float_v<C>)
      return x - x == C(0);  // inf - inf and NaN give NaN
    else
      return true;
  }
};
struct LogicalNot {
  SP_HOST_DEVICE bool operator()(bool x) const { return !x; }
};
struct Erf {
  template <typename C>
  SP_HOST_DEVICE C operator()(C x) const {
    return erf_(x);
  }
};
struct Sin {
  template <typename C>
  SP_HOST_DEVICE C operator()(C x) const {
    return sin_(x);
  }
};
struct Cos {
  template <typename C>
  SP_HOST_DEVICE C operator()(C x) const {
    return cos_(x);
  }
};
struct Log1p {
  template <typename C>
  SP_HOST_DEVICE C operator()(C x) const {
    return log1p_(x);
  }
};
struct Expm1 {
  template <typename C>
  SP_HOST_DEVICE C operator()(C x) const {
    return expm1_(x);
  }
};
// log(1 + exp(beta x)) / beta, and x itself where beta x > threshold (torch's softplus).
template <typename C>
struct Softplus {
  C beta, threshold;
  SP_HOST_DEVICE C operator()(C x) const {
    const C bx = x * beta;
    return bx > threshold ? x : log1p_(exp_(bx)) / beta;
  }
};
// log(sigmoid(x)) = min(x, 0) - log1p(exp(-|x|)): no overflow for any x.
struct LogSigmoid {
  template <typename C>
  SP_HOST_DEVICE C operator()(C x) const {
    return (x < C(0) ? x : C(0)) - log1p_(exp_(-fabs_(x)));
  }
};
// Exact GELU, x * Phi(x) (torch.nn.functional.gelu, approximate='none').
struct Gelu {
  template <typename C>
  SP_HOST_DEVICE C operator()(C x) const {
    return C(0.5) * x * (C(1) + erf_(x * C(0.70710678118654752440)));
  }
};
// tanh GELU, 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))) (approximate='tanh').
struct GeluTanh {
  template <typename C>
  SP_HOST_DEVICE C operator()(C x) const {
    const C inner = C(0.79788456080286535588) * (x + C(0.044715) * x * x * x);
    return C(0.5) * x * (C(1) + tanh_(inner));
  }
};

}  // namespace sp::math
