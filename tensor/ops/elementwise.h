// Elementwise ops with PyTorch semantics: broadcasting, type promotion (result_type),
// and "weak" scalars (an i64 tensor times 0.5 is f32; an f16 tensor plus 2.0 stays
// f16). f16/bf16 compute in f32. Every op returns a fresh contiguous tensor unless it
// ends in '_' (in place on its first argument, in that argument's dtype).
#pragma once

#include <optional>
#include <type_traits>

#include "tensor/tensor.h"

namespace sp {

// A C++ number passed to an op. Its kind (bool, integer, floating) matters for type
// promotion; its value is kept as a double.
struct Scalar {
  enum class Kind : uint8_t { Bool, Int, Float };
  double value = 0;
  Kind kind = Kind::Float;
  template <typename T, std::enable_if_t<std::is_arithmetic_v<T>, int> = 0>
  Scalar(T v)  // NOLINT: implicit so that add(t, 2) and add(t, 0.5) read naturally
      : value(static_cast<double>(v)),
        kind(std::is_same_v<T, bool> ? Kind::Bool
             : std::is_integral_v<T> ? Kind::Int
                                     : Kind::Float) {}
  // The dtype a scalar of this kind takes part in promotion with (PyTorch defaults).
  DType dtype() const {
    return kind == Kind::Bool ? DType::Bool : kind == Kind::Int ? DType::I64 : DType::F32;
  }
};

// PyTorch's result type: dimensioned tensors win over 0-dim tensors, which win over
// scalars, except that a lower-priority operand of a higher category (bool < integer <
// floating) lifts the result: f32[3] + f64[] -> f32, i32[3] + f64[] -> f64,
// i32[3] + 0.5 -> f32, bool[3] + 1 -> i64.
DType result_type(const Tensor& a, const Tensor& b);
DType result_type(const Tensor& a, const Scalar& b);

enum class BinaryOp : uint8_t {
  Add,
  Sub,
  Mul,
  Div,
  Pow,
  Maximum,
  Minimum,
  Atan2,
  Eq,
  Ne,
  Lt,
  Le,
  Gt,
  Ge,
  LogicalAnd,
  LogicalOr,
  LogicalXor
};
enum class UnaryOp : uint8_t {
  Neg,
  Abs,
  Exp,
  Log,
  Sqrt,
  Rsqrt,
  Sigmoid,
  Tanh,
  Relu,
  LeakyRelu,
  Clamp,
  Sign,
  Square,
  Reciprocal,
  Floor,
  Ceil,
  Round,
  IsNan,
  IsFinite,
  LogicalNot,
  Erf,
  Sin,
  Cos,
  Log1p,
  Expm1,
  Softplus,
  LogSigmoid,
  Gelu,
  GeluTanh
};
const char* op_name(BinaryOp op);
const char* op_name(UnaryOp op);

// Parameters of the unary ops that take some (leaky_relu slope, clamp bounds, softplus
// beta and threshold).
struct UnaryParams {
  double a = 0, b = 0;
  bool has_a = false, has_b = false;
};

// ---- binary (tensor op tensor, tensor op scalar, scalar op tensor)
Tensor add(const Tensor& a, const Tensor& b, const Scalar& alpha = 1);  // a + alpha * b
Tensor add(const Tensor& a, const Scalar& b);
Tensor sub(const Tensor& a, const Tensor& b, const Scalar& alpha = 1);  // a - alpha * b
Tensor sub(const Tensor& a, const Scalar& b);
Tensor sub(const Scalar& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Scalar& b);
Tensor div(const Tensor& a, const Tensor& b);  // true division: integers give f32
Tensor div(const Tensor& a, const Scalar& b);
Tensor div(const Scalar& a, const Tensor& b);
Tensor pow(const Tensor& a, const Tensor& b);
Tensor pow(const Tensor& a, const Scalar& exponent);
Tensor pow(const Scalar& base, const Tensor& exponent);
Tensor maximum(const Tensor& a, const Tensor& b);  // NaN propagates
Tensor minimum(const Tensor& a, const Tensor& b);
Tensor atan2(const Tensor& a, const Tensor& b);

// Comparisons (bool result; computed in the promoted type).
Tensor eq(const Tensor& a, const Tensor& b);
Tensor ne(const Tensor& a, const Tensor& b);
Tensor lt(const Tensor& a, const Tensor& b);
Tensor le(const Tensor& a, const Tensor& b);
Tensor gt(const Tensor& a, const Tensor& b);
Tensor ge(const Tensor& a, const Tensor& b);
Tensor eq(const Tensor& a, const Scalar& b);
Tensor ne(const Tensor& a, const Scalar& b);
Tensor lt(const Tensor& a, const Scalar& b);
Tensor le(const Tensor& a, const Scalar& b);
Tensor gt(const Tensor& a, const Scalar& b);
Tensor ge(const Tensor& a, const Scalar& b);

// Logical ops: any dtype, nonzero is true; bool result.
Tensor logical_and(const Tensor& a, const Tensor& b);
Tensor logical_or(const Tensor& a, const Tensor& b);
Tensor logical_xor(const Tensor& a, const Tensor& b);
Tensor logical_not(const Tensor& a);

// cond ? a : b with three-way broadcasting; cond must be bool.
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b);
Tensor where(const Tensor& cond, const Tensor& a, const Scalar& b);
Tensor where(const Tensor& cond, const Scalar& a, const Tensor& b);

// ---- unary (float-only ops promote integer inputs to f32, like PyTorch)
Tensor neg(const Tensor& x);
Tensor abs(const Tensor& x);
Tensor exp(const Tensor& x);
Tensor log(const Tensor& x);
Tensor sqrt(const Tensor& x);
Tensor rsqrt(const Tensor& x);
Tensor sigmoid(const Tensor& x);
Tensor tanh(const Tensor& x);
Tensor relu(const Tensor& x);
Tensor leaky_relu(const Tensor& x, double negative_slope = 0.01);
Tensor clamp(const Tensor& x, std::optional<Scalar> min, std::optional<Scalar> max);
Tensor sign(const Tensor& x);
Tensor square(const Tensor& x);
Tensor reciprocal(const Tensor& x);
Tensor erf(const Tensor& x);  // the error function (floating; integers promote to f32)
Tensor sin(const Tensor& x);
Tensor cos(const Tensor& x);
Tensor log1p(const Tensor& x);  // log(1 + x), accurate near 0
Tensor expm1(const Tensor& x);  // exp(x) - 1, accurate near 0
// log(1 + exp(beta x)) / beta, or x where beta x > threshold (torch.nn.functional.softplus).
Tensor softplus(const Tensor& x, double beta = 1.0, double threshold = 20.0);
// log(sigmoid(x)) without overflow (torch.nn.functional.logsigmoid).
Tensor log_sigmoid(const Tensor& x);
// GELU: exact x Phi(x) (approximate='none'), or the tanh approximation (approximate='tanh').
Tensor gelu(const Tensor& x);
Tensor gelu_tanh(const Tensor& x);
Tensor floor(const Tensor& x);
Tensor ceil(const Tensor& x);
Tensor round(const Tensor& x);  // half to even
Tensor isnan(const Tensor& x);
Tensor isfinite(const Tensor& x);

// ---- in place: self = self op other, computed in the promoted type and stored in
// self's dtype (an error when the promoted type cannot be cast to it, e.g. i64 += f32).
// `other` broadcasts to self's shape.
Tensor& add_(Tensor& self, const Tensor& other, const Scalar& alpha = 1);
Tensor& add_(Tensor& self, const Scalar& other);
Tensor& sub_(Tensor& self, const Tensor& other, const Scalar& alpha = 1);
Tensor& mul_(Tensor& self, const Tensor& other);
Tensor& mul_(Tensor& self, const Scalar& other);
Tensor& div_(Tensor& self, const Tensor& other);
Tensor& div_(Tensor& self, const Scalar& other);
Tensor& clamp_(Tensor& self, std::optional<Scalar> min, std::optional<Scalar> max);

// ---- kernels: out, a, b already have out's shape (broadcast views allowed); a and b
// share one dtype (the compute dtype of the op); out has that dtype, or bool for
// comparisons and logical ops. out may alias a (in-place ops). A CUDA kernel set with
// the same signatures goes in namespace sp::cuda; the public ops dispatch in
// run_binary/run_unary (tensor/ops/elementwise.cpp).
namespace cpu {
void binary(BinaryOp op, const Tensor& out, const Tensor& a, const Tensor& b, double alpha);
// a op scalar (scalar_first: scalar op a); the scalar is converted to the compute type.
void binary_scalar(BinaryOp op, const Tensor& out, const Tensor& a, double scalar,
                   bool scalar_first);
void unary(UnaryOp op, const Tensor& out, const Tensor& x, const UnaryParams& params);
void where(const Tensor& out, const Tensor& cond, const Tensor& a, const Tensor& b);
}  // namespace cpu

}  // namespace sp
