// Differentiable elementwise ops (tensor/ops/elementwise.h with a gradient). Binary ops
// broadcast like PyTorch; their gradients are summed back to each input's shape.
// Kinks follow PyTorch: relu'(0) = 0, abs'(0) = 0, maximum/minimum split ties evenly,
// clamp passes the gradient where min <= x <= max.
#pragma once

#include <optional>

#include "autograd/var.h"
#include "tensor/ops/elementwise.h"

namespace sp::ag {

Var add(const Var& a, const Var& b);
Var add(const Var& a, const Scalar& b);
Var sub(const Var& a, const Var& b);
Var sub(const Var& a, const Scalar& b);
Var sub(const Scalar& a, const Var& b);
Var mul(const Var& a, const Var& b);
Var mul(const Var& a, const Scalar& b);
Var div(const Var& a, const Var& b);
Var div(const Var& a, const Scalar& b);
Var div(const Scalar& a, const Var& b);
Var pow(const Var& a, const Var& b);  // a > 0 where b's gradient is needed
Var pow(const Var& a, const Scalar& exponent);
Var maximum(const Var& a, const Var& b);
Var minimum(const Var& a, const Var& b);
// cond ? a : b (cond is a bool tensor and carries no gradient).
Var where(const Tensor& cond, const Var& a, const Var& b);

Var neg(const Var& x);
Var abs(const Var& x);
Var exp(const Var& x);
Var log(const Var& x);
Var sqrt(const Var& x);
Var rsqrt(const Var& x);
Var sigmoid(const Var& x);
Var tanh(const Var& x);
Var relu(const Var& x);
Var leaky_relu(const Var& x, double negative_slope = 0.01);
Var clamp(const Var& x, std::optional<Scalar> min, std::optional<Scalar> max);
Var square(const Var& x);
Var reciprocal(const Var& x);
Var sin(const Var& x);
Var cos(const Var& x);
Var log1p(const Var& x);
Var expm1(const Var& x);
// log(1 + exp(beta x)) / beta (x where beta x > threshold), stable log(sigmoid(x)).
Var softplus(const Var& x, double beta = 1.0, double threshold = 20.0);
Var log_sigmoid(const Var& x);
// Exact GELU, x * Phi(x) = 0.5 x (1 + erf(x / sqrt(2))) (PyTorch's approximate='none'),
// and the tanh approximation (approximate='tanh'). One kernel forward, one backward.
Var gelu(const Var& x);
Var gelu_tanh(const Var& x);

}  // namespace sp::ag
