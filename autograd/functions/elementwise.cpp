#include "autograd/functions/elementwise.h"

#include "autograd/functions/broadcast.h"
#include "autograd/node.h"
#include "tensor/cuda/fused.h"
#include "tensor/ops/activation.h"
#include "tensor/ops/creation.h"
#include "tensor/ops/operators.h"

namespace sp::ag {
namespace {

using Grads = std::vector<Tensor>;

// A one-input op whose gradient is g * d(out)/d(x), given by `local`.
Var unary(const char* name, Tensor out, const Var& x, std::vector<Tensor> saved,
          std::function<Tensor(const Tensor& g, const std::vector<Tensor>& saved)> local) {
  return make_result(name, std::move(out), {x}, std::move(saved), [local](const BackwardArgs& a) {
    return Grads{grad_for(local(a.grad(), a.saved), a.inputs[0])};
  });
}

Tensor mask_as(const Tensor& mask, const Tensor& like) {
  return mask.to(like.dtype());
}

}  // namespace

// ---- binary

Var add(const Var& a, const Var& b) {
  return make_result("add", sp::add(a.data(), b.data()), {a, b}, {}, [](const BackwardArgs& args) {
    return Grads{args.needs(0) ? grad_for(args.grad(), args.inputs[0]) : Tensor(),
                 args.needs(1) ? grad_for(args.grad(), args.inputs[1]) : Tensor()};
  });
}

Var add(const Var& a, const Scalar& b) {
  return unary("add", sp::add(a.data(), b), a, {}, [](const Tensor& g, const Grads&) { return g; });
}

Var sub(const Var& a, const Var& b) {
  return make_result("sub", sp::sub(a.data(), b.data()), {a, b}, {}, [](const BackwardArgs& args) {
    return Grads{args.needs(0) ? grad_for(args.grad(), args.inputs[0]) : Tensor(),
                 args.needs(1) ? grad_for(sp::neg(args.grad()), args.inputs[1]) : Tensor()};
  });
}

Var sub(const Var& a, const Scalar& b) {
  return unary("sub", sp::sub(a.data(), b), a, {}, [](const Tensor& g, const Grads&) { return g; });
}

Var sub(const Scalar& a, const Var& b) {
  return unary("sub", sp::sub(a, b.data()), b, {},
               [](const Tensor& g, const Grads&) { return sp::neg(g); });
}

Var mul(const Var& a, const Var& b) {
  return make_result("mul", sp::mul(a.data(), b.data()), {a, b}, {a.data(), b.data()},
                     [](const BackwardArgs& args) {
                       const Tensor& g = args.grad();
                       return Grads{
                           args.needs(0) ? grad_for(g * args.saved[1], args.inputs[0]) : Tensor(),
                           args.needs(1) ? grad_for(g * args.saved[0], args.inputs[1]) : Tensor()};
                     });
}

Var mul(const Var& a, const Scalar& b) {
  double s = b.value;
  return unary("mul", sp::mul(a.data(), b), a, {},
               [s](const Tensor& g, const Grads&) { return g * s; });
}

Var div(const Var& a, const Var& b) {
  return make_result(
      "div", sp::div(a.data(), b.data()), {a, b}, {a.data(), b.data()},
      [](const BackwardArgs& args) {
        const Tensor& g = args.grad();
        const Tensor& x = args.saved[0];
        const Tensor& y = args.saved[1];
        return Grads{args.needs(0) ? grad_for(g / y, args.inputs[0]) : Tensor(),
                     args.needs(1) ? grad_for(sp::neg(g * x) / (y * y), args.inputs[1]) : Tensor()};
      });
}

Var div(const Var& a, const Scalar& b) {
  double s = b.value;
  return unary("div", sp::div(a.data(), b), a, {},
               [s](const Tensor& g, const Grads&) { return g / s; });
}

Var div(const Scalar& a, const Var& b) {
  double s = a.value;
  return unary(
      "div", sp::div(a, b.data()), b, {b.data()},
      [s](const Tensor& g, const Grads& saved) { return g * (-s) / sp::square(saved[0]); });
}

Var pow(const Var& a, const Var& b) {
  Tensor out = sp::pow(a.data(), b.data());
  return make_result("pow", out, {a, b}, {a.data(), b.data(), out}, [](const BackwardArgs& args) {
    const Tensor& g = args.grad();
    const Tensor& x = args.saved[0];
    const Tensor& y = args.saved[1];
    return Grads{
        args.needs(0) ? grad_for(g * y * sp::pow(x, y - 1), args.inputs[0]) : Tensor(),
        args.needs(1) ? grad_for(g * args.saved[2] * sp::log(x), args.inputs[1]) : Tensor()};
  });
}

Var pow(const Var& a, const Scalar& exponent) {
  double p = exponent.value;
  return unary(
      "pow", sp::pow(a.data(), exponent), a, {a.data()},
      [p](const Tensor& g, const Grads& saved) { return g * p * sp::pow(saved[0], p - 1); });
}

namespace {
// maximum/minimum: the winner gets the gradient, ties split it evenly (PyTorch).
Var extremum(const char* name, Tensor out, const Var& a, const Var& b, bool is_max) {
  return make_result(
      name, std::move(out), {a, b}, {a.data(), b.data()}, [is_max](const BackwardArgs& args) {
        const Tensor& g = args.grad();
        const Tensor& x = args.saved[0];
        const Tensor& y = args.saved[1];
        Tensor half_ties = mask_as(sp::eq(x, y), g) * 0.5;
        Tensor a_wins = mask_as(is_max ? sp::gt(x, y) : sp::lt(x, y), g) + half_ties;
        Tensor b_wins = mask_as(is_max ? sp::lt(x, y) : sp::gt(x, y), g) + half_ties;
        return Grads{args.needs(0) ? grad_for(g * a_wins, args.inputs[0]) : Tensor(),
                     args.needs(1) ? grad_for(g * b_wins, args.inputs[1]) : Tensor()};
      });
}
}  // namespace

Var maximum(const Var& a, const Var& b) {
  return extremum("maximum", sp::maximum(a.data(), b.data()), a, b, true);
}
Var minimum(const Var& a, const Var& b) {
  return extremum("minimum", sp::minimum(a.data(), b.data()), a, b, false);
}

Var where(const Tensor& cond, const Var& a, const Var& b) {
  return make_result(
      "where", sp::where(cond, a.data(), b.data()), {a, b}, {cond}, [](const BackwardArgs& args) {
        const Tensor& g = args.grad();
        const Tensor& c = args.saved[0];
        return Grads{
            args.needs(0) ? grad_for(sp::where(c, g, Scalar(0.0)), args.inputs[0]) : Tensor(),
            args.needs(1) ? grad_for(sp::where(c, Scalar(0.0), g), args.inputs[1]) : Tensor()};
      });
}

// ---- unary

Var neg(const Var& x) {
  return unary("neg", sp::neg(x.data()), x, {},
               [](const Tensor& g, const Grads&) { return sp::neg(g); });
}

Var abs(const Var& x) {
  return unary("abs", sp::abs(x.data()), x, {x.data()},
               [](const Tensor& g, const Grads& s) { return g * sp::sign(s[0]); });
}

Var exp(const Var& x) {
  Tensor out = sp::exp(x.data());
  return unary("exp", out, x, {out}, [](const Tensor& g, const Grads& s) { return g * s[0]; });
}

Var log(const Var& x) {
  return unary("log", sp::log(x.data()), x, {x.data()},
               [](const Tensor& g, const Grads& s) { return g / s[0]; });
}

Var sqrt(const Var& x) {
  Tensor out = sp::sqrt(x.data());
  return unary("sqrt", out, x, {out},
               [](const Tensor& g, const Grads& s) { return g * 0.5 / s[0]; });
}

Var rsqrt(const Var& x) {
  Tensor out = sp::rsqrt(x.data());
  return unary("rsqrt", out, x, {out},
               [](const Tensor& g, const Grads& s) { return g * -0.5 * s[0] * s[0] * s[0]; });
}

Var sigmoid(const Var& x) {
  Tensor out = sp::sigmoid(x.data());
  return unary("sigmoid", out, x, {out},
               [](const Tensor& g, const Grads& s) { return g * s[0] * (1.0 - s[0]); });
}

Var tanh(const Var& x) {
  Tensor out = sp::tanh(x.data());
  return unary("tanh", out, x, {out},
               [](const Tensor& g, const Grads& s) { return g * (1.0 - s[0] * s[0]); });
}

Var relu(const Var& x) {
  Tensor out = sp::relu(x.data());
  return unary("relu", out, x, {out}, [](const Tensor& g, const Grads& s) {
    // CUDA: one fused pass instead of a bool mask plus a select.
    if (g.is_cuda()) return cuda::relu_backward(g, s[0]);
    return sp::where(sp::gt(s[0], 0.0), g, Scalar(0.0));
  });
}

Var leaky_relu(const Var& x, double negative_slope) {
  return unary("leaky_relu", sp::leaky_relu(x.data(), negative_slope), x, {x.data()},
               [negative_slope](const Tensor& g, const Grads& s) {
                 return sp::where(sp::gt(s[0], 0.0), g, g * negative_slope);
               });
}

Var clamp(const Var& x, std::optional<Scalar> min, std::optional<Scalar> max) {
  return unary("clamp", sp::clamp(x.data(), min, max), x, {x.data()},
               [min, max](const Tensor& g, const Grads& s) {
                 Tensor pass = sp::ones_like(s[0]).to(DType::Bool);
                 if (min) pass = sp::logical_and(pass, sp::ge(s[0], *min));
                 if (max) pass = sp::logical_and(pass, sp::le(s[0], *max));
                 return sp::where(pass, g, Scalar(0.0));
               });
}

Var square(const Var& x) {
  return unary("square", sp::square(x.data()), x, {x.data()},
               [](const Tensor& g, const Grads& s) { return g * 2.0 * s[0]; });
}

Var reciprocal(const Var& x) {
  Tensor out = sp::reciprocal(x.data());
  return unary("reciprocal", out, x, {out},
               [](const Tensor& g, const Grads& s) { return sp::neg(g * s[0] * s[0]); });
}

namespace {
// A smooth unary op whose gradient is one fused kernel (tensor/ops/activation.h).
Var smooth_unary(UnaryOp op, Tensor out, const Var& x, const UnaryParams& p = {}) {
  return unary(op_name(op), std::move(out), x, {x.data()},
               [op, p](const Tensor& g, const Grads& s) {
                 return sp::unary_backward(op, g, s[0].to(g.dtype()), p);
               });
}
}  // namespace

Var sin(const Var& x) {
  return smooth_unary(UnaryOp::Sin, sp::sin(x.data()), x);
}
Var cos(const Var& x) {
  return smooth_unary(UnaryOp::Cos, sp::cos(x.data()), x);
}
Var log1p(const Var& x) {
  return smooth_unary(UnaryOp::Log1p, sp::log1p(x.data()), x);
}
Var expm1(const Var& x) {
  return smooth_unary(UnaryOp::Expm1, sp::expm1(x.data()), x);
}
Var softplus(const Var& x, double beta, double threshold) {
  UnaryParams p;
  p.a = beta, p.has_a = true;
  p.b = threshold, p.has_b = true;
  return smooth_unary(UnaryOp::Softplus, sp::softplus(x.data(), beta, threshold), x, p);
}
Var log_sigmoid(const Var& x) {
  return smooth_unary(UnaryOp::LogSigmoid, sp::log_sigmoid(x.data()), x);
}
Var gelu(const Var& x) {
  return smooth_unary(UnaryOp::Gelu, sp::gelu(x.data()), x);
}
Var gelu_tanh(const Var& x) {
  return smooth_unary(UnaryOp::GeluTanh, sp::gelu_tanh(x.data()), x);
}

}  // namespace sp::ag
