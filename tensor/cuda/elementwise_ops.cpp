// Maps the public elementwise op enums onto the CUDA kernels (tensor/cuda/elementwise.h).
#include "tensor/cuda/elementwise_ops.h"

#include <cmath>

#include "tensor/cuda/elementwise.h"
#include "tensor/ops/creation.h"

namespace sp::cuda {

namespace {

cuda::BinaryOp kernel_op(sp::BinaryOp op) {
  switch (op) {
    case sp::BinaryOp::Add:
      return cuda::BinaryOp::Add;
    case sp::BinaryOp::Sub:
      return cuda::BinaryOp::Sub;
    case sp::BinaryOp::Mul:
      return cuda::BinaryOp::Mul;
    case sp::BinaryOp::Div:
      return cuda::BinaryOp::Div;
    case sp::BinaryOp::Pow:
      return cuda::BinaryOp::Pow;
    case sp::BinaryOp::Maximum:
      return cuda::BinaryOp::Maximum;
    case sp::BinaryOp::Minimum:
      return cuda::BinaryOp::Minimum;
    case sp::BinaryOp::Atan2:
      return cuda::BinaryOp::Atan2;
    case sp::BinaryOp::Eq:
      return cuda::BinaryOp::Eq;
    case sp::BinaryOp::Ne:
      return cuda::BinaryOp::Ne;
    case sp::BinaryOp::Lt:
      return cuda::BinaryOp::Lt;
    case sp::BinaryOp::Le:
      return cuda::BinaryOp::Le;
    case sp::BinaryOp::Gt:
      return cuda::BinaryOp::Gt;
    case sp::BinaryOp::Ge:
      return cuda::BinaryOp::Ge;
    case sp::BinaryOp::LogicalAnd:
      return cuda::BinaryOp::LogicalAnd;
    case sp::BinaryOp::LogicalOr:
      return cuda::BinaryOp::LogicalOr;
    case sp::BinaryOp::LogicalXor:
      return cuda::BinaryOp::LogicalXor;
  }
  SP_FAIL("cuda: unknown binary op ", int(op));
}

cuda::UnaryOp kernel_op(sp::UnaryOp op) {
  switch (op) {
    case sp::UnaryOp::Neg:
      return cuda::UnaryOp::Neg;
    case sp::UnaryOp::Abs:
      return cuda::UnaryOp::Abs;
    case sp::UnaryOp::Exp:
      return cuda::UnaryOp::Exp;
    case sp::UnaryOp::Log:
      return cuda::UnaryOp::Log;
    case sp::UnaryOp::Sqrt:
      return cuda::UnaryOp::Sqrt;
    case sp::UnaryOp::Rsqrt:
      return cuda::UnaryOp::Rsqrt;
    case sp::UnaryOp::Sigmoid:
      return cuda::UnaryOp::Sigmoid;
    case sp::UnaryOp::Tanh:
      return cuda::UnaryOp::Tanh;
    case sp::UnaryOp::Relu:
      return cuda::UnaryOp::Relu;
    case sp::UnaryOp::LeakyRelu:
      return cuda::UnaryOp::LeakyRelu;
    case sp::UnaryOp::Clamp:
      return cuda::UnaryOp::Clamp;
    case sp::UnaryOp::Sign:
      return cuda::UnaryOp::Sign;
    case sp::UnaryOp::Square:
      return cuda::UnaryOp::Square;
    case sp::UnaryOp::Reciprocal:
      return cuda::UnaryOp::Reciprocal;
    case sp::UnaryOp::Floor:
      return cuda::UnaryOp::Floor;
    case sp::UnaryOp::Ceil:
      return cuda::UnaryOp::Ceil;
    case sp::UnaryOp::Round:
      return cuda::UnaryOp::Round;
    case sp::UnaryOp::IsNan:
      return cuda::UnaryOp::IsNan;
    case sp::UnaryOp::IsFinite:
      return cuda::UnaryOp::IsFinite;
    case sp::UnaryOp::LogicalNot:
      return cuda::UnaryOp::LogicalNot;
    case sp::UnaryOp::Erf:
      return cuda::UnaryOp::Erf;
    case sp::UnaryOp::Sin:
      return cuda::UnaryOp::Sin;
    case sp::UnaryOp::Cos:
      return cuda::UnaryOp::Cos;
    case sp::UnaryOp::Log1p:
      return cuda::UnaryOp::Log1p;
    case sp::UnaryOp::Expm1:
      return cuda::UnaryOp::Expm1;
    case sp::UnaryOp::Softplus:
      return cuda::UnaryOp::Softplus;
    case sp::UnaryOp::LogSigmoid:
      return cuda::UnaryOp::LogSigmoid;
    case sp::UnaryOp::Gelu:
      return cuda::UnaryOp::Gelu;
    case sp::UnaryOp::GeluTanh:
      return cuda::UnaryOp::GeluTanh;
  }
  SP_FAIL("cuda: unknown unary op ", int(op));
}

}  // namespace

void binary(sp::BinaryOp op, const Tensor& out, const Tensor& a, const Tensor& b, double alpha) {
  cuda::binary(kernel_op(op), out, a, b, alpha);
}

void binary_scalar(sp::BinaryOp op, const Tensor& out, const Tensor& a, double scalar,
                   bool scalar_first) {
  // The scalar in the compute dtype (a's), as a broadcast 0-dim device tensor.
  Tensor s = full({}, scalar, a.dtype(), a.device()).expand(out.shape());
  cuda::binary(kernel_op(op), out, scalar_first ? s : a, scalar_first ? a : s, 1.0);
}

void unary(sp::UnaryOp op, const Tensor& out, const Tensor& x, const UnaryParams& p) {
  if (op == sp::UnaryOp::Clamp)  // NaN marks an absent bound for the kernel
    return cuda::unary(cuda::UnaryOp::Clamp, out, x, p.has_a ? p.a : NAN, p.has_b ? p.b : NAN);
  cuda::unary(kernel_op(op), out, x, p.a, p.b);
}

}  // namespace sp::cuda
