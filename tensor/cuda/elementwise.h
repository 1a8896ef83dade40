// CUDA elementwise kernels: unary math, binary arithmetic, comparisons, where, clamp.
// The public ops (tensor/ops/elementwise.h) check arguments, promote dtypes and
// broadcast exactly as for the CPU; these entry points only run the kernel.
// Contract for every function: all tensors are on the same GPU, inputs have out's shape
// (any strides, 0 along broadcast dims: use expand), out does not overlap the inputs
// partially (identical views, i.e. in-place, are fine). Inputs whose dtype differs
// from the compute dtype are converted first.
#pragma once

#include "tensor/tensor.h"

namespace sp::cuda {

enum class UnaryOp {
  Neg,
  Abs,
  Sign,
  Square,
  Sqrt,
  Rsqrt,
  Reciprocal,
  Exp,
  Exp2,
  Expm1,
  Log,
  Log2,
  Log10,
  Log1p,
  Sin,
  Cos,
  Tan,
  Asin,
  Acos,
  Atan,
  Sinh,
  Cosh,
  Tanh,
  Sigmoid,
  LogSigmoid,
  Relu,
  Silu,
  Gelu,
  GeluTanh,
  Softplus,  // p0: beta, p1: threshold (x where beta x > threshold)
  Erf,
  Erfc,
  Floor,
  Ceil,
  Round,
  Trunc,
  Frac,
  LeakyRelu,  // p0: negative slope
  Elu,        // p0: alpha
  PowScalar,  // x ^ p0
  Clamp,      // clamp to [p0, p1]; a NaN bound means "no bound"; NaN inputs stay NaN
  Threshold,  // x > p0 ? x : p1
  // Producing bool (out must be Bool; computed in the input dtype):
  LogicalNot,
  IsNan,
  IsInf,
  IsFinite,
};

enum class BinaryOp {
  Add,  // a + alpha * b
  Sub,  // a - alpha * b
  Mul,
  Div,        // Div on integers truncates (promote to float first for true division)
  FloorDiv,   // floor(a / b) (Python //)
  Remainder,  // Python %: sign of b
  Fmod,       // C fmod: sign of a
  Pow,
  Atan2,
  Maximum,
  Minimum,  // Maximum/Minimum propagate NaN
  // Producing bool (out must be Bool; computed in promote_types(a, b)):
  Eq,
  Ne,
  Lt,
  Le,
  Gt,
  Ge,
  LogicalAnd,
  LogicalOr,
  LogicalXor,
};

const char* name(UnaryOp op);
const char* name(BinaryOp op);
bool produces_bool(UnaryOp op);
bool produces_bool(BinaryOp op);
// Ops defined for floating dtypes only (sqrt, exp, ...). Integer inputs must be
// promoted by the caller.
bool needs_floating(UnaryOp op);
bool needs_floating(BinaryOp op);

void unary(UnaryOp op, const Tensor& out, const Tensor& in, double p0 = 0.0, double p1 = 0.0);
void binary(BinaryOp op, const Tensor& out, const Tensor& a, const Tensor& b, double alpha = 1.0);
// out = cond ? a : b (cond converted to bool, a and b to out's dtype).
void where(const Tensor& out, const Tensor& cond, const Tensor& a, const Tensor& b);
// out = clamp(in, lo, hi) with per-element bounds (tensors; converted to out's dtype).
void clamp_tensor(const Tensor& out, const Tensor& in, const Tensor& lo, const Tensor& hi);

}  // namespace sp::cuda
