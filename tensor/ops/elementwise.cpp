#include "tensor/ops/elementwise.h"

#include "tensor/cuda/elementwise_ops.h"
#include "tensor/ops/creation.h"

namespace sp {

const char* op_name(BinaryOp op) {
  switch (op) {
    case BinaryOp::Add:
      return "add";
    case BinaryOp::Sub:
      return "sub";
    case BinaryOp::Mul:
      return "mul";
    case BinaryOp::Div:
      return "div";
    case BinaryOp::Pow:
      return "pow";
    case BinaryOp::Maximum:
      return "maximum";
    case BinaryOp::Minimum:
      return "minimum";
    case BinaryOp::Atan2:
      return "atan2";
    case BinaryOp::Eq:
      return "eq";
    case BinaryOp::Ne:
      return "ne";
    case BinaryOp::Lt:
      return "lt";
    case BinaryOp::Le:
      return "le";
    case BinaryOp::Gt:
      return "gt";
    case BinaryOp::Ge:
      return "ge";
    case BinaryOp::LogicalAnd:
      return "logical_and";
    case BinaryOp::LogicalOr:
      return "logical_or";
    case BinaryOp::LogicalXor:
      return "logical_xor";
  }
  return "binary op";
}

const char* op_name(UnaryOp op) {
  switch (op) {
    case UnaryOp::Neg:
      return "neg";
    case UnaryOp::Abs:
      return "abs";
    case UnaryOp::Exp:
      return "exp";
    case UnaryOp::Log:
      return "log";
    case UnaryOp::Sqrt:
      return "sqrt";
    case UnaryOp::Rsqrt:
      return "rsqrt";
    case UnaryOp::Sigmoid:
      return "sigmoid";
    case UnaryOp::Tanh:
      return "tanh";
    case UnaryOp::Relu:
      return "relu";
    case UnaryOp::LeakyRelu:
      return "leaky_relu";
    case UnaryOp::Clamp:
      return "clamp";
    case UnaryOp::Sign:
      return "sign";
    case UnaryOp::Square:
      return "square";
    case UnaryOp::Reciprocal:
      return "reciprocal";
    case UnaryOp::Floor:
      return "floor";
    case UnaryOp::Ceil:
      return "ceil";
    case UnaryOp::Round:
      return "round";
    case UnaryOp::IsNan:
      return "isnan";
    case UnaryOp::IsFinite:
      return "isfinite";
    case UnaryOp::LogicalNot:
      return "logical_not";
    case UnaryOp::Erf:
      return "erf";
    case UnaryOp::Sin:
      return "sin";
    case UnaryOp::Cos:
      return "cos";
    case UnaryOp::Log1p:
      return "log1p";
    case UnaryOp::Expm1:
      return "expm1";
    case UnaryOp::Softplus:
      return "softplus";
    case UnaryOp::LogSigmoid:
      return "log_sigmoid";
    case UnaryOp::Gelu:
      return "gelu";
    case UnaryOp::GeluTanh:
      return "gelu_tanh";
  }
  return "unary op";
}

namespace {

int category(DType t) {
  return t == DType::Bool ? 0 : is_floating(t) ? 2 : 1;
}
// A lower-priority operand only counts when its category is higher.
DType combine(DType higher, DType lower) {
  return category(lower) > category(higher) ? promote_types(higher, lower) : higher;
}

// ---- the device dispatch of every elementwise op (CUDA kernels plug in here)
void run_binary(BinaryOp op, const Tensor& out, const Tensor& a, const Tensor& b, double alpha) {
  if (out.is_cpu()) return cpu::binary(op, out, a, b, alpha);
  cuda::binary(op, out, a, b, alpha);
}
void run_binary_scalar(BinaryOp op, const Tensor& out, const Tensor& a, double s,
                       bool scalar_first) {
  if (out.is_cpu()) return cpu::binary_scalar(op, out, a, s, scalar_first);
  cuda::binary_scalar(op, out, a, s, scalar_first);
}
void run_unary(UnaryOp op, const Tensor& out, const Tensor& x, const UnaryParams& p) {
  if (out.is_cpu()) return cpu::unary(op, out, x, p);
  cuda::unary(op, out, x, p);
}
void run_where(const Tensor& out, const Tensor& cond, const Tensor& a, const Tensor& b) {
  if (out.is_cpu()) return cpu::where(out, cond, a, b);
  cuda::where(out, cond, a, b);
}

bool is_comparison(BinaryOp op) {
  return op >= BinaryOp::Eq && op <= BinaryOp::Ge;
}
bool is_logical(BinaryOp op) {
  return op >= BinaryOp::LogicalAnd;
}

// The dtype the kernel computes in (its operands' dtype) for result type r.
DType operand_dtype(BinaryOp op, DType r) {
  if (is_logical(op)) return DType::Bool;
  if ((op == BinaryOp::Div || op == BinaryOp::Atan2) && is_integral(r)) return DType::F32;
  return r;
}
DType output_dtype(BinaryOp op, DType operand) {
  return is_comparison(op) || is_logical(op) ? DType::Bool : operand;
}

void check_binary_dtype(BinaryOp op, DType operand) {
  SP_CHECK(!(op == BinaryOp::Sub && operand == DType::Bool),
           "sub: expected numeric tensors, got two bool operands; hint: use logical_xor");
  SP_CHECK(!(op == BinaryOp::Pow && operand == DType::Bool),
           "pow: expected numeric tensors, got bool");
}

void check_alpha(const char* op, DType r, const Scalar& alpha) {
  SP_CHECK(!(is_integral(r) && alpha.kind == Scalar::Kind::Float &&
             alpha.value != double(int64_t(alpha.value))),
           op, ": expected an integral alpha for ", r, " tensors, got ", alpha.value);
}

Tensor binary_op(BinaryOp op, const Tensor& a, const Tensor& b, double alpha = 1.0) {
  const char* what = op_name(op);
  check_defined(a, what);
  check_defined(b, what);
  check_same_device(a, b, what);
  const Shape shape = broadcast_shapes(a.shape(), b.shape(), what);
  const DType operand = operand_dtype(op, result_type(a, b));
  check_binary_dtype(op, operand);
  Tensor out = empty(shape, output_dtype(op, operand), a.device());
  if (out.numel() == 0) return out;
  run_binary(op, out, a.to(operand).expand(shape), b.to(operand).expand(shape), alpha);
  return out;
}

Tensor scalar_op(BinaryOp op, const Tensor& a, const Scalar& s, bool scalar_first) {
  const char* what = op_name(op);
  check_defined(a, what);
  const DType operand = operand_dtype(op, result_type(a, s));
  check_binary_dtype(op, operand);
  Tensor out = empty(a.shape(), output_dtype(op, operand), a.device());
  if (out.numel() == 0) return out;
  run_binary_scalar(op, out, a.to(operand), s.value, scalar_first);
  return out;
}

bool can_cast(DType from, DType to) {
  if (is_floating(from) && !is_floating(to)) return false;
  if (from != DType::Bool && to == DType::Bool) return false;
  return true;
}

void check_writable(const Tensor& self, const char* what) {
  for (int d = 0; d < self.dim(); ++d)
    SP_CHECK(self.stride(d) != 0 || self.size(d) <= 1, what,
             ": expected a tensor whose elements are distinct in memory, got an expanded view ",
             self.meta(), "; hint: call contiguous() first");
}

// self = self op other (other broadcast to self) stored in self's dtype.
Tensor& inplace_op(BinaryOp op, const char* what, Tensor& self, const Tensor* other,
                   const Scalar* s, double alpha = 1.0) {
  check_defined(self, what);
  check_writable(self, what);
  DType r;
  if (other) {
    check_defined(*other, what);
    check_same_device(self, *other, what);
    const Shape shape = broadcast_shapes(self.shape(), other->shape(), what);
    SP_CHECK(shape == self.shape(), what, ": expected other to broadcast to self's shape ",
             self.shape(), ", got ", other->shape());
    r = operand_dtype(op, result_type(self, *other));
  } else {
    r = operand_dtype(op, result_type(self, *s));
  }
  check_binary_dtype(op, r);
  SP_CHECK(can_cast(r, self.dtype()), what, ": expected a result type castable to self's dtype ",
           self.dtype(), ", got ", r);
  if (self.numel() == 0) return self;
  const bool direct = r == self.dtype();
  Tensor out = direct ? self : empty(self.shape(), r, self.device());
  Tensor a = direct ? self : self.to(r);
  if (other)
    run_binary(op, out, a, other->to(r).expand(self.shape()), alpha);
  else
    run_binary_scalar(op, out, a, s->value, false);
  if (!direct) self.copy_(out);
  return self;
}

Tensor unary_op(UnaryOp op, const Tensor& x, const UnaryParams& p = {}) {
  const char* what = op_name(op);
  check_defined(x, what);
  DType in = x.dtype(), out_dtype = x.dtype();
  switch (op) {
    case UnaryOp::Exp:
    case UnaryOp::Log:
    case UnaryOp::Sqrt:
    case UnaryOp::Rsqrt:
    case UnaryOp::Sigmoid:
    case UnaryOp::Tanh:
    case UnaryOp::Reciprocal:
    case UnaryOp::LeakyRelu:
    case UnaryOp::Erf:
    case UnaryOp::Sin:
    case UnaryOp::Cos:
    case UnaryOp::Log1p:
    case UnaryOp::Expm1:
    case UnaryOp::Softplus:
    case UnaryOp::LogSigmoid:
    case UnaryOp::Gelu:
    case UnaryOp::GeluTanh:
      if (is_integral(in)) in = out_dtype = DType::F32;
      break;
    case UnaryOp::Floor:
    case UnaryOp::Ceil:
    case UnaryOp::Round:
      if (is_integral(in)) return x.clone();
      break;
    case UnaryOp::IsNan:
    case UnaryOp::IsFinite:
      out_dtype = DType::Bool;
      break;
    case UnaryOp::LogicalNot:
      in = out_dtype = DType::Bool;
      break;
    case UnaryOp::Square:
      if (in == DType::Bool) in = out_dtype = DType::I64;
      break;
    case UnaryOp::Neg:
    case UnaryOp::Abs:
    case UnaryOp::Relu:
    case UnaryOp::Clamp:
      SP_CHECK(in != DType::Bool, what, ": expected a numeric tensor, got bool",
               op == UnaryOp::Neg ? "; hint: use logical_not" : "");
      break;
    default:
      break;
  }
  Tensor out = empty(x.shape(), out_dtype, x.device());
  if (out.numel() == 0) return out;
  run_unary(op, out, x.to(in), p);
  return out;
}

UnaryParams clamp_params(const Tensor& x, const std::optional<Scalar>& lo,
                         const std::optional<Scalar>& hi, DType* r) {
  SP_CHECK(lo || hi, "clamp: expected at least one of min and max, got neither");
  *r = x.dtype();
  if (lo) *r = combine(*r, lo->dtype());
  if (hi) *r = combine(*r, hi->dtype());
  UnaryParams p;
  if (lo) p.a = lo->value, p.has_a = true;
  if (hi) p.b = hi->value, p.has_b = true;
  return p;
}

}  // namespace

DType result_type(const Tensor& a, const Tensor& b) {
  const bool a0 = a.dim() == 0, b0 = b.dim() == 0;
  if (a0 == b0) return promote_types(a.dtype(), b.dtype());
  return a0 ? combine(b.dtype(), a.dtype()) : combine(a.dtype(), b.dtype());
}
DType result_type(const Tensor& a, const Scalar& b) {
  return combine(a.dtype(), b.dtype());
}

Tensor add(const Tensor& a, const Tensor& b, const Scalar& alpha) {
  check_alpha("add", result_type(a, b), alpha);
  return binary_op(BinaryOp::Add, a, b, alpha.value);
}
Tensor add(const Tensor& a, const Scalar& b) {
  return scalar_op(BinaryOp::Add, a, b, false);
}
Tensor sub(const Tensor& a, const Tensor& b, const Scalar& alpha) {
  check_alpha("sub", result_type(a, b), alpha);
  return binary_op(BinaryOp::Sub, a, b, alpha.value);
}
Tensor sub(const Tensor& a, const Scalar& b) {
  return scalar_op(BinaryOp::Sub, a, b, false);
}
Tensor sub(const Scalar& a, const Tensor& b) {
  return scalar_op(BinaryOp::Sub, b, a, true);
}
Tensor mul(const Tensor& a, const Tensor& b) {
  return binary_op(BinaryOp::Mul, a, b);
}
Tensor mul(const Tensor& a, const Scalar& b) {
  return scalar_op(BinaryOp::Mul, a, b, false);
}
Tensor div(const Tensor& a, const Tensor& b) {
  return binary_op(BinaryOp::Div, a, b);
}
Tensor div(const Tensor& a, const Scalar& b) {
  return scalar_op(BinaryOp::Div, a, b, false);
}
Tensor div(const Scalar& a, const Tensor& b) {
  return scalar_op(BinaryOp::Div, b, a, true);
}
Tensor pow(const Tensor& a, const Tensor& b) {
  return binary_op(BinaryOp::Pow, a, b);
}
Tensor pow(const Tensor& a, const Scalar& exponent) {
  SP_CHECK(!(is_integral(result_type(a, exponent)) && exponent.value < 0),
           "pow: expected a non-negative exponent for integer tensors, got ", exponent.value);
  return scalar_op(BinaryOp::Pow, a, exponent, false);
}
Tensor pow(const Scalar& base, const Tensor& exponent) {
  return scalar_op(BinaryOp::Pow, exponent, base, true);
}
Tensor maximum(const Tensor& a, const Tensor& b) {
  return binary_op(BinaryOp::Maximum, a, b);
}
Tensor minimum(const Tensor& a, const Tensor& b) {
  return binary_op(BinaryOp::Minimum, a, b);
}
Tensor atan2(const Tensor& a, const Tensor& b) {
  return binary_op(BinaryOp::Atan2, a, b);
}

Tensor eq(const Tensor& a, const Tensor& b) {
  return binary_op(BinaryOp::Eq, a, b);
}
Tensor ne(const Tensor& a, const Tensor& b) {
  return binary_op(BinaryOp::Ne, a, b);
}
Tensor lt(const Tensor& a, const Tensor& b) {
  return binary_op(BinaryOp::Lt, a, b);
}
Tensor le(const Tensor& a, const Tensor& b) {
  return binary_op(BinaryOp::Le, a, b);
}
Tensor gt(const Tensor& a, const Tensor& b) {
  return binary_op(BinaryOp::Gt, a, b);
}
Tensor ge(const Tensor& a, const Tensor& b) {
  return binary_op(BinaryOp::Ge, a, b);
}
Tensor eq(const Tensor& a, const Scalar& b) {
  return scalar_op(BinaryOp::Eq, a, b, false);
}
Tensor ne(const Tensor& a, const Scalar& b) {
  return scalar_op(BinaryOp::Ne, a, b, false);
}
Tensor lt(const Tensor& a, const Scalar& b) {
  return scalar_op(BinaryOp::Lt, a, b, false);
}
Tensor le(const Tensor& a, const Scalar& b) {
  return scalar_op(BinaryOp::Le, a, b, false);
}
Tensor gt(const Tensor& a, const Scalar& b) {
  return scalar_op(BinaryOp::Gt, a, b, false);
}
Tensor ge(const Tensor& a, const Scalar& b) {
  return scalar_op(BinaryOp::Ge, a, b, false);
}

Tensor logical_and(const Tensor& a, const Tensor& b) {
  return binary_op(BinaryOp::LogicalAnd, a, b);
}
Tensor logical_or(const Tensor& a, const Tensor& b) {
  return binary_op(BinaryOp::LogicalOr, a, b);
}
Tensor logical_xor(const Tensor& a, const Tensor& b) {
  return binary_op(BinaryOp::LogicalXor, a, b);
}
Tensor logical_not(const Tensor& a) {
  return unary_op(UnaryOp::LogicalNot, a);
}

Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b) {
  check_defined(cond, "where");
  check_defined(a, "where");
  check_defined(b, "where");
  check_same_device(cond, a, "where");
  check_same_device(cond, b, "where");
  SP_CHECK(cond.dtype() == DType::Bool, "where: expected cond to have dtype bool, got ",
           cond.dtype(), "; hint: compare with ne(cond, 0)");
  const Shape shape =
      broadcast_shapes(cond.shape(), broadcast_shapes(a.shape(), b.shape(), "where"), "where");
  const DType r = result_type(a, b);
  Tensor out = empty(shape, r, cond.device());
  if (out.numel() == 0) return out;
  run_where(out, cond.expand(shape), a.to(r).expand(shape), b.to(r).expand(shape));
  return out;
}
Tensor where(const Tensor& cond, const Tensor& a, const Scalar& b) {
  check_defined(a, "where");
  return where(cond, a, scalar_tensor(b.value, result_type(a, b), a.device()));
}
Tensor where(const Tensor& cond, const Scalar& a, const Tensor& b) {
  check_defined(b, "where");
  return where(cond, scalar_tensor(a.value, result_type(b, a), b.device()), b);
}

Tensor neg(const Tensor& x) {
  return unary_op(UnaryOp::Neg, x);
}
Tensor abs(const Tensor& x) {
  return unary_op(UnaryOp::Abs, x);
}
Tensor exp(const Tensor& x) {
  return unary_op(UnaryOp::Exp, x);
}
Tensor log(const Tensor& x) {
  return unary_op(UnaryOp::Log, x);
}
Tensor sqrt(const Tensor& x) {
  return unary_op(UnaryOp::Sqrt, x);
}
Tensor rsqrt(const Tensor& x) {
  return unary_op(UnaryOp::Rsqrt, x);
}
Tensor sigmoid(const Tensor& x) {
  return unary_op(UnaryOp::Sigmoid, x);
}
Tensor tanh(const Tensor& x) {
  return unary_op(UnaryOp::Tanh, x);
}
Tensor relu(const Tensor& x) {
  return unary_op(UnaryOp::Relu, x);
}
Tensor leaky_relu(const Tensor& x, double negative_slope) {
  UnaryParams p;
  p.a = negative_slope;
  return unary_op(UnaryOp::LeakyRelu, x, p);
}
Tensor clamp(const Tensor& x, std::optional<Scalar> min, std::optional<Scalar> max) {
  check_defined(x, "clamp");
  DType r;
  UnaryParams p = clamp_params(x, min, max, &r);
  return unary_op(UnaryOp::Clamp, x.to(r), p);
}
Tensor sign(const Tensor& x) {
  return unary_op(UnaryOp::Sign, x);
}
Tensor square(const Tensor& x) {
  return unary_op(UnaryOp::Square, x);
}
Tensor reciprocal(const Tensor& x) {
  return unary_op(UnaryOp::Reciprocal, x);
}
Tensor erf(const Tensor& x) {
  return unary_op(UnaryOp::Erf, x);
}
Tensor sin(const Tensor& x) {
  return unary_op(UnaryOp::Sin, x);
}
Tensor cos(const Tensor& x) {
  return unary_op(UnaryOp::Cos, x);
}
Tensor log1p(const Tensor& x) {
  return unary_op(UnaryOp::Log1p, x);
}
Tensor expm1(const Tensor& x) {
  return unary_op(UnaryOp::Expm1, x);
}
Tensor softplus(const Tensor& x, double beta, double threshold) {
  SP_CHECK(beta != 0.0, "softplus: expected a nonzero beta, got ", beta);
  UnaryParams p;
  p.a = beta, p.has_a = true;
  p.b = threshold, p.has_b = true;
  return unary_op(UnaryOp::Softplus, x, p);
}
Tensor log_sigmoid(const Tensor& x) {
  return unary_op(UnaryOp::LogSigmoid, x);
}
Tensor gelu(const Tensor& x) {
  return unary_op(UnaryOp::Gelu, x);
}
Tensor gelu_tanh(const Tensor& x) {
  return unary_op(UnaryOp::GeluTanh, x);
}
Tensor floor(const Tensor& x) {
  return unary_op(UnaryOp::Floor, x);
}
Tensor ceil(const Tensor& x) {
  return unary_op(UnaryOp::Ceil, x);
}
Tensor round(const Tensor& x) {
  return unary_op(UnaryOp::Round, x);
}
Tensor isnan(const Tensor& x) {
  return unary_op(UnaryOp::IsNan, x);
}
Tensor isfinite(const Tensor& x) {
  return unary_op(UnaryOp::IsFinite, x);
}

Tensor& add_(Tensor& self, const Tensor& other, const Scalar& alpha) {
  check_alpha("add_", self.dtype(), alpha);
  return inplace_op(BinaryOp::Add, "add_", self, &other, nullptr, alpha.value);
}
Tensor& add_(Tensor& self, const Scalar& other) {
  return inplace_op(BinaryOp::Add, "add_", self, nullptr, &other);
}
Tensor& sub_(Tensor& self, const Tensor& other, const Scalar& alpha) {
  check_alpha("sub_", self.dtype(), alpha);
  return inplace_op(BinaryOp::Sub, "sub_", self, &other, nullptr, alpha.value);
}
Tensor& mul_(Tensor& self, const Tensor& other) {
  return inplace_op(BinaryOp::Mul, "mul_", self, &other, nullptr);
}
Tensor& mul_(Tensor& self, const Scalar& other) {
  return inplace_op(BinaryOp::Mul, "mul_", self, nullptr, &other);
}
Tensor& div_(Tensor& self, const Tensor& other) {
  return inplace_op(BinaryOp::Div, "div_", self, &other, nullptr);
}
Tensor& div_(Tensor& self, const Scalar& other) {
  return inplace_op(BinaryOp::Div, "div_", self, nullptr, &other);
}
Tensor& clamp_(Tensor& self, std::optional<Scalar> min, std::optional<Scalar> max) {
  check_defined(self, "clamp_");
  check_writable(self, "clamp_");
  DType r;
  UnaryParams p = clamp_params(self, min, max, &r);
  SP_CHECK(can_cast(r, self.dtype()), "clamp_: expected a result type castable to self's dtype ",
           self.dtype(), ", got ", r);
  if (self.numel() == 0) return self;
  if (r == self.dtype()) {
    run_unary(UnaryOp::Clamp, self, self, p);
  } else {
    self.copy_(clamp(self, min, max));
  }
  return self;
}

}  // namespace sp
