// CPU kernels for the elementwise ops: a flat (OpenMP) loop when every operand is
// contiguous, the coalescing strided iterator of loops.h otherwise.
#include "tensor/ops/elementwise.h"

#include <cmath>

#include "tensor/cpu/loops.h"
#include "tensor/dispatch.h"
#include "tensor/math/elementwise_math.h"

namespace sp::cpu {
namespace {

using math::compute_t;
constexpr int64_t kParallelElements = 32768;

// out[i] = f(a[i], b[i]) with loads converted to C = compute_t<T> and the result to Out.
template <typename T, typename Out, typename F>
void binary_loop(const Tensor& out, const Tensor& a, const Tensor& b, const F& f) {
  using C = compute_t<T>;
  const T* pa = static_cast<const T*>(a.data_ptr());
  const T* pb = static_cast<const T*>(b.data_ptr());
  Out* po = static_cast<Out*>(out.data_ptr());
  const int64_t n = out.numel();
  if (out.is_contiguous() && a.is_contiguous() && b.is_contiguous()) {
#pragma omp parallel for schedule(static) if (n >= kParallelElements)
    for (int64_t i = 0; i < n; ++i) po[i] = convert<Out>(f(C(pa[i]), C(pb[i])));
    return;
  }
  for_each_offset<3>(out.shape(), {out.strides(), a.strides(), b.strides()},
                     [&](const std::array<int64_t, 3>& o) {
                       po[o[0]] = convert<Out>(f(C(pa[o[1]]), C(pb[o[2]])));
                     });
}

template <typename T, typename Out, typename F>
void unary_loop(const Tensor& out, const Tensor& x, const F& f) {
  using C = compute_t<T>;
  const T* px = static_cast<const T*>(x.data_ptr());
  Out* po = static_cast<Out*>(out.data_ptr());
  const int64_t n = out.numel();
  if (out.is_contiguous() && x.is_contiguous()) {
#pragma omp parallel for schedule(static) if (n >= kParallelElements)
    for (int64_t i = 0; i < n; ++i) po[i] = convert<Out>(f(C(px[i])));
    return;
  }
  for_each_offset<2>(
      out.shape(), {out.strides(), x.strides()},
      [&](const std::array<int64_t, 2>& o) { po[o[0]] = convert<Out>(f(C(px[o[1]]))); });
}

// Calls g(functor, Out{}) with the functor of `op` for compute type C and the output
// element type (T, or bool for comparisons). Returns false for ops T does not support.
template <typename T, typename G>
bool visit_binary(BinaryOp op, double alpha, G&& g) {
  using C = compute_t<T>;
  constexpr bool fp = math::is_float_v<C>;
  switch (op) {
    case BinaryOp::Add:
      if (alpha == 1.0) return g(math::Add{}, T{}), true;
      return g(math::AddAlpha<C>{static_cast<C>(alpha)}, T{}), true;
    case BinaryOp::Sub:
      if (alpha == 1.0) return g(math::Sub{}, T{}), true;
      return g(math::AddAlpha<C>{static_cast<C>(-alpha)}, T{}), true;
    case BinaryOp::Mul:
      return g(math::Mul{}, T{}), true;
    case BinaryOp::Div:
      if constexpr (fp)
        return g(math::Div{}, T{}), true;
      else
        return false;
    case BinaryOp::Pow:
      return g(math::Pow{}, T{}), true;
    case BinaryOp::Maximum:
      return g(math::Maximum{}, T{}), true;
    case BinaryOp::Minimum:
      return g(math::Minimum{}, T{}), true;
    case BinaryOp::Atan2:
      if constexpr (fp)
        return g(math::Atan2{}, T{}), true;
      else
        return false;
    case BinaryOp::Eq:
      return g(math::Eq{}, bool{}), true;
    case BinaryOp::Ne:
      return g(math::Ne{}, bool{}), true;
    case BinaryOp::Lt:
      return g(math::Lt{}, bool{}), true;
    case BinaryOp::Le:
      return g(math::Le{}, bool{}), true;
    case BinaryOp::Gt:
      return g(math::Gt{}, bool{}), true;
    case BinaryOp::Ge:
      return g(math::Ge{}, bool{}), true;
    case BinaryOp::LogicalAnd:
      if constexpr (std::is_same_v<T, bool>)
        return g(math::LogicalAnd{}, bool{}), true;
      else
        return false;
    case BinaryOp::LogicalOr:
      if constexpr (std::is_same_v<T, bool>)
        return g(math::LogicalOr{}, bool{}), true;
      else
        return false;
    case BinaryOp::LogicalXor:
      if constexpr (std::is_same_v<T, bool>)
        return g(math::LogicalXor{}, bool{}), true;
      else
        return false;
  }
  return false;
}

template <typename T, typename G>
bool visit_unary(UnaryOp op, const UnaryParams& p, G&& g) {
  using C = compute_t<T>;
  constexpr bool fp = math::is_float_v<C>;
  constexpr bool is_bool = std::is_same_v<T, bool>;
  switch (op) {
    case UnaryOp::Neg:
      if constexpr (!is_bool)
        return g(math::Neg{}, T{}), true;
      else
        return false;
    case UnaryOp::Abs:
      if constexpr (!is_bool)
        return g(math::Abs{}, T{}), true;
      else
        return false;
    case UnaryOp::Relu:
      if constexpr (!is_bool)
        return g(math::Relu{}, T{}), true;
      else
        return false;
    case UnaryOp::Sign:
      return g(math::Sign{}, T{}), true;
    case UnaryOp::Square:
      if constexpr (!is_bool)
        return g(math::Square{}, T{}), true;
      else
        return false;
    case UnaryOp::Clamp:
      if constexpr (!is_bool)
        return g(math::Clamp<C>{static_cast<C>(p.a), static_cast<C>(p.b), p.has_a, p.has_b}, T{}),
               true;
      else
        return false;
    case UnaryOp::IsNan:
      return g(math::IsNan{}, bool{}), true;
    case UnaryOp::IsFinite:
      return g(math::IsFinite{}, bool{}), true;
    case UnaryOp::LogicalNot:
      if constexpr (is_bool)
        return g(math::LogicalNot{}, bool{}), true;
      else
        return false;
    default:
      break;
  }
  if constexpr (fp) {
    switch (op) {
      case UnaryOp::Exp:
        return g(math::Exp{}, T{}), true;
      case UnaryOp::Log:
        return g(math::Log{}, T{}), true;
      case UnaryOp::Sqrt:
        return g(math::Sqrt{}, T{}), true;
      case UnaryOp::Rsqrt:
        return g(math::Rsqrt{}, T{}), true;
      case UnaryOp::Sigmoid:
        return g(math::Sigmoid{}, T{}), true;
      case UnaryOp::Tanh:
        return g(math::Tanh{}, T{}), true;
      case UnaryOp::LeakyRelu:
        return g(math::LeakyRelu<C>{static_cast<C>(p.a)}, T{}), true;
      case UnaryOp::Reciprocal:
        return g(math::Reciprocal{}, T{}), true;
      case UnaryOp::Floor:
        return g(math::Floor{}, T{}), true;
      case UnaryOp::Ceil:
        return g(math::Ceil{}, T{}), true;
      case UnaryOp::Round:
        return g(math::Round{}, T{}), true;
      case UnaryOp::Erf:
        return g(math::Erf{}, T{}), true;
      case UnaryOp::Sin:
        return g(math::Sin{}, T{}), true;
      case UnaryOp::Cos:
        return g(math::Cos{}, T{}), true;
      case UnaryOp::Log1p:
        return g(math::Log1p{}, T{}), true;
      case UnaryOp::Expm1:
        return g(math::Expm1{}, T{}), true;
      case UnaryOp::Softplus:
        return g(math::Softplus<C>{static_cast<C>(p.a), static_cast<C>(p.b)}, T{}), true;
      case UnaryOp::LogSigmoid:
        return g(math::LogSigmoid{}, T{}), true;
      case UnaryOp::Gelu:
        return g(math::Gelu{}, T{}), true;
      case UnaryOp::GeluTanh:
        return g(math::GeluTanh{}, T{}), true;
      default:
        break;
    }
  }
  return false;
}

}  // namespace

void binary(BinaryOp op, const Tensor& out, const Tensor& a, const Tensor& b, double alpha) {
  SP_ASSERT(a.dtype() == b.dtype() && a.shape() == out.shape() && b.shape() == out.shape());
  dispatch_all(a.dtype(), op_name(op), [&]<typename T>() {
    bool ok = visit_binary<T>(op, alpha, [&]<typename F, typename Out>(const F& f, Out) {
      binary_loop<T, Out>(out, a, b, f);
    });
    SP_ASSERT(ok, op_name(op), " has no CPU kernel for ", a.dtype());
  });
}

void binary_scalar(BinaryOp op, const Tensor& out, const Tensor& a, double scalar,
                   bool scalar_first) {
  SP_ASSERT(a.shape() == out.shape());
  dispatch_all(a.dtype(), op_name(op), [&]<typename T>() {
    using C = compute_t<T>;
    const C s = static_cast<C>(scalar);
    bool ok = visit_binary<T>(op, 1.0, [&]<typename F, typename Out>(const F& f, Out) {
      if (scalar_first)
        unary_loop<T, Out>(out, a, [&](C x) { return f(s, x); });
      else
        unary_loop<T, Out>(out, a, [&](C x) { return f(x, s); });
    });
    SP_ASSERT(ok, op_name(op), " has no CPU kernel for ", a.dtype());
  });
}

void unary(UnaryOp op, const Tensor& out, const Tensor& x, const UnaryParams& params) {
  SP_ASSERT(x.shape() == out.shape());
  dispatch_all(x.dtype(), op_name(op), [&]<typename T>() {
    bool ok = visit_unary<T>(op, params, [&]<typename F, typename Out>(const F& f, Out) {
      unary_loop<T, Out>(out, x, f);
    });
    SP_ASSERT(ok, op_name(op), " has no CPU kernel for ", x.dtype());
  });
}

void where(const Tensor& out, const Tensor& cond, const Tensor& a, const Tensor& b) {
  SP_ASSERT(cond.dtype() == DType::Bool && a.dtype() == out.dtype() && b.dtype() == out.dtype());
  dispatch_all(out.dtype(), "where", [&]<typename T>() {
    const bool* pc = static_cast<const bool*>(cond.data_ptr());
    const T* pa = static_cast<const T*>(a.data_ptr());
    const T* pb = static_cast<const T*>(b.data_ptr());
    T* po = static_cast<T*>(out.data_ptr());
    for_each_offset<4>(
        out.shape(), {out.strides(), cond.strides(), a.strides(), b.strides()},
        [&](const std::array<int64_t, 4>& o) { po[o[0]] = pc[o[1]] ? pa[o[2]] : pb[o[3]]; });
  });
}

}  // namespace sp::cpu
