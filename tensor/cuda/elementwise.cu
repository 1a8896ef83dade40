// CUDA elementwise kernels (tensor/cuda/elementwise.h). One kernel per dtype with the op
// chosen by a switch: the branch is uniform across the grid, so it costs nothing in
// these memory-bound loops and keeps the number of template instantiations small.
#include <cmath>
#include <type_traits>

#include "tensor/cuda/elementwise.h"
#include "tensor/cuda/loops.cuh"

namespace sp::cuda {

namespace {

template <typename C>
inline constexpr bool kFloat = std::is_floating_point_v<C>;

template <typename C>
__device__ __forceinline__ bool is_nan(C x) {
  if constexpr (kFloat<C>)
    return x != x;
  else
    return false;
}

// Integer power by squaring; negative exponents give 0 except for bases 1 and -1.
template <typename C>
__device__ C int_pow(C base, C e) {
  if constexpr (std::is_same_v<C, bool>) {
    return e ? base : true;
  } else {
    if constexpr (std::is_signed_v<C>) {
      if (e < 0) return base == 1 ? C(1) : base == C(-1) ? ((e & 1) ? C(-1) : C(1)) : C(0);
    }
    C r = 1;
    while (e) {
      if (e & 1) r *= base;
      base *= base;
      e >>= 1;
    }
    return r;
  }
}

template <typename C>
__device__ __forceinline__ C sigmoid(C x) {
  return C(1) / (C(1) + exp(-x));
}

template <typename C>
__device__ C apply_unary(UnaryOp op, C x, C p0, C p1, bool has0, bool has1) {
  if constexpr (std::is_same_v<C, bool>) {
    switch (op) {
      case UnaryOp::Abs:
      case UnaryOp::Relu:
      case UnaryOp::Floor:
      case UnaryOp::Ceil:
      case UnaryOp::Round:
      case UnaryOp::Trunc:
      case UnaryOp::Square:
      case UnaryOp::Sign:
        return x;
      default:
        return x;  // rejected on the host
    }
  } else {
    switch (op) {
      case UnaryOp::Neg:
        return C(-x);
      case UnaryOp::Abs:
        if constexpr (kFloat<C>)
          return fabs(x);
        else if constexpr (std::is_unsigned_v<C>)
          return x;
        else
          return x < 0 ? C(-x) : x;
      case UnaryOp::Sign:
        // NaN gives 0, like the CPU kernel ((0 < x) - (x < 0)).
        if constexpr (std::is_unsigned_v<C>)
          return C(x > 0);
        else
          return C((C(0) < x) - (x < C(0)));
      case UnaryOp::Square:
        return C(x * x);
      case UnaryOp::Relu:
        // clamp_min(x, 0): NaN stays NaN, -0.0 stays -0.0.
        if constexpr (std::is_unsigned_v<C>)
          return x;
        else
          return x < C(0) ? C(0) : x;
      case UnaryOp::Floor:
      case UnaryOp::Ceil:
      case UnaryOp::Round:
      case UnaryOp::Trunc:
        if constexpr (kFloat<C>) {
          if (op == UnaryOp::Floor) return floor(x);
          if (op == UnaryOp::Ceil) return ceil(x);
          if (op == UnaryOp::Round) return rint(x);  // half to even, like torch.round
          return trunc(x);
        } else {
          return x;
        }
      case UnaryOp::Clamp:
        // A missing bound (NaN on the host) arrives as has0/has1 false. NaN inputs propagate.
        if (is_nan(x)) return x;
        if (has0 && x < p0) x = p0;
        if (has1 && x > p1) x = p1;  // lo > hi gives hi, like PyTorch
        return x;
      case UnaryOp::Threshold:
        return x > p0 ? x : p1;
      case UnaryOp::PowScalar:
        if constexpr (kFloat<C>) {
          if (p0 == C(2)) return x * x;
          return pow(x, p0);
        } else {
          return int_pow<C>(x, p0);
        }
      default:
        break;
    }
    if constexpr (kFloat<C>) {
      switch (op) {
        case UnaryOp::Sqrt:
          return sqrt(x);
        case UnaryOp::Rsqrt:
          return C(1) / sqrt(x);
        case UnaryOp::Reciprocal:
          return C(1) / x;
        case UnaryOp::Exp:
          return exp(x);
        case UnaryOp::Exp2:
          return exp2(x);
        case UnaryOp::Expm1:
          return expm1(x);
        case UnaryOp::Log:
          return log(x);
        case UnaryOp::Log2:
          return log2(x);
        case UnaryOp::Log10:
          return log10(x);
        case UnaryOp::Log1p:
          return log1p(x);
        case UnaryOp::Sin:
          return sin(x);
        case UnaryOp::Cos:
          return cos(x);
        case UnaryOp::Tan:
          return tan(x);
        case UnaryOp::Asin:
          return asin(x);
        case UnaryOp::Acos:
          return acos(x);
        case UnaryOp::Atan:
          return atan(x);
        case UnaryOp::Sinh:
          return sinh(x);
        case UnaryOp::Cosh:
          return cosh(x);
        case UnaryOp::Tanh:
          return tanh(x);
        case UnaryOp::Sigmoid:
          return sigmoid(x);
        case UnaryOp::LogSigmoid:
          return fmin(x, C(0)) - log1p(exp(-fabs(x)));
        case UnaryOp::Silu:
          return x * sigmoid(x);
        case UnaryOp::Gelu:
          return C(0.5) * x * (C(1) + erf(x * C(0.70710678118654752440)));
        case UnaryOp::GeluTanh: {
          const C inner = C(0.79788456080286535588) * (x + C(0.044715) * x * x * x);
          return C(0.5) * x * (C(1) + tanh(inner));
        }
        case UnaryOp::Softplus: {  // p0 = beta, p1 = threshold (torch's defaults: 1, 20)
          const C bx = x * p0;
          return bx > p1 ? x : log1p(exp(bx)) / p0;
        }
        case UnaryOp::Erf:
          return erf(x);
        case UnaryOp::Erfc:
          return erfc(x);
        case UnaryOp::Frac:
          return x - trunc(x);
        case UnaryOp::LeakyRelu:
          return x > C(0) ? x : x * p0;
        case UnaryOp::Elu:
          return x > C(0) ? x : p0 * expm1(x);
        default:
          break;
      }
    }
    return x;  // unreachable: rejected on the host
  }
}

template <typename C>
__device__ bool apply_unary_bool(UnaryOp op, C x) {
  switch (op) {
    case UnaryOp::LogicalNot:
      return !(x != C(0));
    case UnaryOp::IsNan:
      return is_nan(x);
    case UnaryOp::IsInf:
      if constexpr (kFloat<C>)
        return isinf(x);
      else
        return false;
    case UnaryOp::IsFinite:
      if constexpr (kFloat<C>)
        return isfinite(x);
      else
        return true;
    default:
      return false;
  }
}

template <typename C>
__device__ C apply_binary(BinaryOp op, C a, C b, C alpha) {
  if constexpr (std::is_same_v<C, bool>) {
    switch (op) {
      case BinaryOp::Add:
      case BinaryOp::Maximum:
        return a || (b && alpha);
      case BinaryOp::Mul:
      case BinaryOp::Minimum:
        return a && b;
      default:
        return a;  // rejected on the host
    }
  } else {
    switch (op) {
      case BinaryOp::Add:
        return C(a + alpha * b);
      case BinaryOp::Sub:
        return C(a - alpha * b);
      case BinaryOp::Mul:
        return C(a * b);
      case BinaryOp::Div:
        if constexpr (kFloat<C>)
          return a / b;
        else
          return b == 0 ? C(0) : C(a / b);
      case BinaryOp::Maximum:
        if constexpr (kFloat<C>) {
          if (a != a || b != b) return a + b;
        }
        return a > b ? a : b;
      case BinaryOp::Minimum:
        if constexpr (kFloat<C>) {
          if (a != a || b != b) return a + b;
        }
        return a < b ? a : b;
      case BinaryOp::Pow:
        if constexpr (kFloat<C>)
          return pow(a, b);
        else
          return int_pow<C>(a, b);
      case BinaryOp::Remainder:
        if constexpr (kFloat<C>) {
          C r = fmod(a, b);
          if (r != C(0) && ((r < C(0)) != (b < C(0)))) r += b;
          return r;
        } else {
          if (b == 0) return 0;
          C r = a % b;
          if constexpr (std::is_signed_v<C>) {
            if (r != 0 && ((r < 0) != (b < 0))) r += b;
          }
          return r;
        }
      case BinaryOp::Fmod:
        if constexpr (kFloat<C>)
          return fmod(a, b);
        else
          return b == 0 ? C(0) : C(a % b);
      case BinaryOp::FloorDiv:
        if constexpr (kFloat<C>) {
          // PyTorch's div_floor: exact for representable quotients.
          if (b == C(0)) return a / b;
          C mod = fmod(a, b);
          C div = (a - mod) / b;
          if (mod != C(0) && ((b < C(0)) != (mod < C(0)))) div -= C(1);
          C fl;
          if (div != C(0)) {
            fl = floor(div);
            if (div - fl > C(0.5)) fl += C(1);
          } else {
            fl = copysign(C(0), a / b);
          }
          return fl;
        } else {
          if (b == 0) return 0;
          C q = a / b;
          if constexpr (std::is_signed_v<C>) {
            if ((a % b != 0) && ((a < 0) != (b < 0))) q -= 1;
          }
          return q;
        }
      case BinaryOp::Atan2:
        if constexpr (kFloat<C>)
          return atan2(a, b);
        else
          return a;
      default:
        return a;  // rejected on the host
    }
  }
}

template <typename C>
__device__ bool apply_binary_bool(BinaryOp op, C a, C b) {
  switch (op) {
    case BinaryOp::Eq:
      return a == b;
    case BinaryOp::Ne:
      return a != b;
    case BinaryOp::Lt:
      return a < b;
    case BinaryOp::Le:
      return a <= b;
    case BinaryOp::Gt:
      return a > b;
    case BinaryOp::Ge:
      return a >= b;
    case BinaryOp::LogicalAnd:
      return (a != C(0)) && (b != C(0));
    case BinaryOp::LogicalOr:
      return (a != C(0)) || (b != C(0));
    case BinaryOp::LogicalXor:
      return (a != C(0)) != (b != C(0));
    default:
      return false;
  }
}

bool allowed_for(UnaryOp op, DType t) {
  if (is_floating(t)) return true;
  if (produces_bool(op)) return true;
  if (needs_floating(op)) return false;
  if (t == DType::Bool)
    return op != UnaryOp::Neg && op != UnaryOp::PowScalar && op != UnaryOp::Clamp &&
           op != UnaryOp::Threshold;
  return true;
}

bool allowed_for(BinaryOp op, DType t) {
  if (produces_bool(op)) return true;
  if (t == DType::Bool)
    return op == BinaryOp::Add || op == BinaryOp::Mul || op == BinaryOp::Maximum ||
           op == BinaryOp::Minimum;
  return is_floating(t) || !needs_floating(op);
}

// Device functors for for_each_offset (extended lambdas cannot live in the generic
// dispatch lambdas).
template <typename T>
struct UnaryBoolFn {
  bool* o;
  const T* x;
  UnaryOp op;
  __device__ void operator()(Offsets<2> off) const {
    o[off[0]] = apply_unary_bool<acc_t<T>>(op, acc_t<T>(x[off[1]]));
  }
};

template <typename T>
struct UnaryFn {
  T* o;
  const T* x;
  UnaryOp op;
  acc_t<T> p0, p1;
  bool has0, has1;
  __device__ void operator()(Offsets<2> off) const {
    o[off[0]] = T(apply_unary<acc_t<T>>(op, acc_t<T>(x[off[1]]), p0, p1, has0, has1));
  }
};

template <typename T>
struct BinaryBoolFn {
  bool* o;
  const T* x;
  const T* y;
  BinaryOp op;
  __device__ void operator()(Offsets<3> off) const {
    o[off[0]] = apply_binary_bool<acc_t<T>>(op, acc_t<T>(x[off[1]]), acc_t<T>(y[off[2]]));
  }
};

template <typename T>
struct BinaryFn {
  T* o;
  const T* x;
  const T* y;
  BinaryOp op;
  acc_t<T> alpha;
  __device__ void operator()(Offsets<3> off) const {
    o[off[0]] = T(apply_binary<acc_t<T>>(op, acc_t<T>(x[off[1]]), acc_t<T>(y[off[2]]), alpha));
  }
};

template <typename T>
struct WhereFn {
  T* o;
  const bool* c;
  const T* x;
  const T* y;
  __device__ void operator()(Offsets<4> off) const {
    o[off[0]] = c[off[1]] ? x[off[2]] : y[off[3]];
  }
};

template <typename T>
struct ClampFn {
  T* o;
  const T* x;
  const T* l;
  const T* h;
  __device__ void operator()(Offsets<4> off) const {
    using C = acc_t<T>;
    // torch.clamp: min(max(x, lo), hi) with NaN propagating from any operand.
    C v = C(x[off[1]]), lv = C(l[off[2]]), hv = C(h[off[3]]);
    if (is_nan(v) || is_nan(lv) || is_nan(hv)) {
      o[off[0]] = T(is_nan(v) ? v : is_nan(lv) ? lv : hv);
      return;
    }
    v = v < lv ? lv : v;
    v = v > hv ? hv : v;
    o[off[0]] = T(v);
  }
};

}  // namespace

const char* name(UnaryOp op) {
  static const char* const names[] = {
      "neg",         "abs",      "sign",       "square",     "sqrt",  "rsqrt", "reciprocal",
      "exp",         "exp2",     "expm1",      "log",        "log2",  "log10", "log1p",
      "sin",         "cos",      "tan",        "asin",       "acos",  "atan",  "sinh",
      "cosh",        "tanh",     "sigmoid",    "logsigmoid", "relu",  "silu",  "gelu",
      "gelu_tanh",   "softplus", "erf",        "erfc",       "floor", "ceil",  "round",
      "trunc",       "frac",     "leaky_relu", "elu",        "pow",   "clamp", "threshold",
      "logical_not", "isnan",    "isinf",      "isfinite"};
  static_assert(sizeof(names) / sizeof(names[0]) == size_t(UnaryOp::IsFinite) + 1);
  return names[int(op)];
}

const char* name(BinaryOp op) {
  static const char* const names[] = {
      "add", "sub",   "mul",     "div",         "floor_divide", "remainder",  "fmod",
      "pow", "atan2", "maximum", "minimum",     "eq",           "ne",         "lt",
      "le",  "gt",    "ge",      "logical_and", "logical_or",   "logical_xor"};
  static_assert(sizeof(names) / sizeof(names[0]) == size_t(BinaryOp::LogicalXor) + 1);
  return names[int(op)];
}

bool produces_bool(UnaryOp op) {
  return op >= UnaryOp::LogicalNot;
}
bool produces_bool(BinaryOp op) {
  return op >= BinaryOp::Eq;
}

bool needs_floating(UnaryOp op) {
  switch (op) {
    case UnaryOp::Neg:
    case UnaryOp::Abs:
    case UnaryOp::Sign:
    case UnaryOp::Square:
    case UnaryOp::Relu:
    case UnaryOp::Floor:
    case UnaryOp::Ceil:
    case UnaryOp::Round:
    case UnaryOp::Trunc:
    case UnaryOp::Clamp:
    case UnaryOp::Threshold:
    case UnaryOp::PowScalar:
    case UnaryOp::LogicalNot:
    case UnaryOp::IsNan:
    case UnaryOp::IsInf:
    case UnaryOp::IsFinite:
      return false;
    default:
      return true;
  }
}

bool needs_floating(BinaryOp op) {
  return op == BinaryOp::Atan2;
}

void unary(UnaryOp op, const Tensor& out, const Tensor& in_arg, double p0, double p1) {
  const char* what = name(op);
  check_cuda_operand(out, in_arg, what);
  const int dev = out.device().index;
  set_device(dev);
  if (produces_bool(op)) {
    check_dtype(out, DType::Bool, what, "out");
    const Tensor& in = in_arg;
    dispatch_all(in.dtype(), what, [&]<typename T>() {
      for_each_offset<2>(dev, out.shape(), {out.strides(), in.strides()},
                         UnaryBoolFn<T>{out.data<bool>(), in.data<T>(), op}, what);
    });
    return;
  }
  SP_CHECK(allowed_for(op, out.dtype()), what, ": expected a ",
           needs_floating(op) ? "floating" : "numeric", " dtype, got ", out.dtype());
  Tensor in = as_dtype(in_arg, out.dtype());
  dispatch_all(out.dtype(), what, [&]<typename T>() {
    using C = acc_t<T>;
    // NaN parameters mean "absent" (clamp bounds); never convert NaN to an integer.
    const bool has0 = !std::isnan(p0), has1 = !std::isnan(p1);
    const C c0 = has0 ? convert<C>(p0) : C(0), c1 = has1 ? convert<C>(p1) : C(0);
    for_each_offset<2>(dev, out.shape(), {out.strides(), in.strides()},
                       UnaryFn<T>{out.data<T>(), in.data<T>(), op, c0, c1, has0, has1}, what);
  });
}

void binary(BinaryOp op, const Tensor& out, const Tensor& a_arg, const Tensor& b_arg,
            double alpha) {
  const char* what = name(op);
  check_cuda_operand(out, a_arg, what);
  check_cuda_operand(out, b_arg, what);
  const int dev = out.device().index;
  set_device(dev);
  if (produces_bool(op)) {
    check_dtype(out, DType::Bool, what, "out");
    const DType ct = promote_types(a_arg.dtype(), b_arg.dtype());
    Tensor a = as_dtype(a_arg, ct), b = as_dtype(b_arg, ct);
    dispatch_all(ct, what, [&]<typename T>() {
      for_each_offset<3>(dev, out.shape(), {out.strides(), a.strides(), b.strides()},
                         BinaryBoolFn<T>{out.data<bool>(), a.data<T>(), b.data<T>(), op}, what);
    });
    return;
  }
  SP_CHECK(allowed_for(op, out.dtype()), what, ": expected a ",
           needs_floating(op) ? "floating" : "numeric", " dtype, got ", out.dtype());
  Tensor a = as_dtype(a_arg, out.dtype()), b = as_dtype(b_arg, out.dtype());
  dispatch_all(out.dtype(), what, [&]<typename T>() {
    for_each_offset<3>(
        dev, out.shape(), {out.strides(), a.strides(), b.strides()},
        BinaryFn<T>{out.data<T>(), a.data<T>(), b.data<T>(), op, convert<acc_t<T>>(alpha)}, what);
  });
}

void where(const Tensor& out, const Tensor& cond_arg, const Tensor& a_arg, const Tensor& b_arg) {
  check_cuda_operand(out, cond_arg, "where");
  check_cuda_operand(out, a_arg, "where");
  check_cuda_operand(out, b_arg, "where");
  const int dev = out.device().index;
  set_device(dev);
  Tensor cond = as_dtype(cond_arg, DType::Bool);
  Tensor a = as_dtype(a_arg, out.dtype()), b = as_dtype(b_arg, out.dtype());
  dispatch_all(out.dtype(), "where", [&]<typename T>() {
    for_each_offset<4>(dev, out.shape(), {out.strides(), cond.strides(), a.strides(), b.strides()},
                       WhereFn<T>{out.data<T>(), cond.data<bool>(), a.data<T>(), b.data<T>()},
                       "where");
  });
}

void clamp_tensor(const Tensor& out, const Tensor& in_arg, const Tensor& lo_arg,
                  const Tensor& hi_arg) {
  check_cuda_operand(out, in_arg, "clamp");
  check_cuda_operand(out, lo_arg, "clamp");
  check_cuda_operand(out, hi_arg, "clamp");
  const int dev = out.device().index;
  set_device(dev);
  SP_CHECK(out.dtype() != DType::Bool, "clamp: expected a numeric dtype, got bool");
  Tensor in = as_dtype(in_arg, out.dtype()), lo = as_dtype(lo_arg, out.dtype()),
         hi = as_dtype(hi_arg, out.dtype());
  dispatch_numeric(out.dtype(), "clamp", [&]<typename T>() {
    for_each_offset<4>(dev, out.shape(), {out.strides(), in.strides(), lo.strides(), hi.strides()},
                       ClampFn<T>{out.data<T>(), in.data<T>(), lo.data<T>(), hi.data<T>()},
                       "clamp");
  });
}

}  // namespace sp::cuda
