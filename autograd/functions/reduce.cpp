#include "autograd/functions/reduce.h"

#include <algorithm>
#include <cmath>

#include "autograd/node.h"
#include "tensor/ops/creation.h"
#include "tensor/ops/operators.h"

namespace sp::ag {
namespace {

using Grads = std::vector<Tensor>;

// The output shape with keepdim = true: reduced dims of `in` set to 1.
Shape kept_shape(const Shape& in, const DimList& dims) {
  Shape s = in;
  if (dims.empty()) {
    for (int d = 0; d < s.rank(); ++d) s[d] = 1;
    return s;
  }
  for (int64_t d : dims)
    if (s.rank() > 0) s[wrap_dim(d, s.rank(), "reduce")] = 1;
  return s;
}

// t reshaped to `shape` of the same numel. A 0-dim t is expanded instead (Tensor::reshape
// refuses [] -> [1, 1]).
Tensor reshape_to(const Tensor& t, const Shape& shape) {
  return t.dim() == 0 ? t.expand(shape) : t.reshape(shape);
}

// A reduced value (or gradient) seen with keepdim = true and broadcast to `in`.
Tensor expand_back(const Tensor& t, const Shape& in, const DimList& dims) {
  return reshape_to(t, kept_shape(in, dims)).expand(in);
}

// Number of elements folded into each output element.
double reduced_count(const Shape& in, const DimList& dims) {
  const Shape kept = kept_shape(in, dims);
  const int64_t out = numel(kept);
  return out == 0 ? 0.0 : double(numel(in) / out);
}

// Shares of the gradient of an extremum: 1/k for each of the k elements equal to it.
Tensor tie_shares(const Tensor& x, const Tensor& extremum, const DimList& dims) {
  Tensor hit = sp::eq(x, expand_back(extremum, x.shape(), dims)).to(x.dtype());
  return hit / sp::sum(hit, dims, true);
}

// Gradient of var for an output gradient already broadcast to `in` (g).
Tensor var_grad(const Tensor& g, const Tensor& in, const DimList& dims, double correction) {
  const double divisor = std::max(0.0, reduced_count(in.shape(), dims) - correction);
  Tensor centered = in - sp::mean(in, dims, true);
  return g * centered * (2.0 / divisor);
}

// max(x, dim) / min(x, dim): the gradient goes to the returned index only.
std::pair<Var, Tensor> indexed_extremum(const char* name, ValuesIndices r, const Var& x,
                                        int64_t dim) {
  Var values = make_result(name, r.values, {x}, {r.indices}, [dim](const BackwardArgs& a) {
    const TensorMeta& in = a.inputs[0];
    const Shape kept = kept_shape(in.shape, {dim});
    if (in.shape.rank() == 0) return Grads{a.grad()};
    Tensor g = reshape_to(a.grad(), kept);
    Tensor grad = sp::zeros(in.shape, g.dtype(), g.device());
    return Grads{sp::scatter_add(grad, dim, reshape_to(a.saved[0], kept), g)};
  });
  return {values, r.indices};
}

Var extremum(const char* name, Tensor out, const Var& x, const DimList& dims) {
  return make_result(name, out, {x}, {x.data(), out}, [dims](const BackwardArgs& a) {
    const Tensor& in = a.saved[0];
    Tensor g = expand_back(a.grad(), in.shape(), dims);
    return Grads{g * tie_shares(in, a.saved[1], dims)};
  });
}

}  // namespace

Var sum(const Var& x, const DimList& dims, bool keepdim) {
  return make_result("sum", sp::sum(x.data(), dims, keepdim), {x}, {},
                     [dims](const BackwardArgs& a) {
                       const TensorMeta& in = a.inputs[0];
                       return Grads{expand_back(a.grad(), in.shape, dims).to(in.dtype)};
                     });
}

Var mean(const Var& x, const DimList& dims, bool keepdim) {
  return make_result("mean", sp::mean(x.data(), dims, keepdim), {x}, {},
                     [dims](const BackwardArgs& a) {
                       const Shape& in = a.inputs[0].shape;
                       return Grads{expand_back(a.grad() / reduced_count(in, dims), in, dims)};
                     });
}

Var var(const Var& x, const DimList& dims, double correction, bool keepdim) {
  Tensor out = sp::var(x.data(), dims, correction, keepdim);
  return make_result("var", out, {x}, {x.data()}, [dims, correction](const BackwardArgs& a) {
    const Tensor& in = a.saved[0];
    return Grads{var_grad(expand_back(a.grad(), in.shape(), dims), in, dims, correction)};
  });
}

Var std_dev(const Var& x, const DimList& dims, double correction, bool keepdim) {
  Tensor out = sp::std_dev(x.data(), dims, correction, keepdim);
  return make_result("std_dev", out, {x}, {x.data(), out},
                     [dims, correction](const BackwardArgs& a) {
                       const Tensor& in = a.saved[0];
                       Tensor g = expand_back(a.grad(), in.shape(), dims);
                       Tensor std = expand_back(a.saved[1], in.shape(), dims);
                       // d std = d var / (2 std); PyTorch masks the 0/0 of a constant group to 0.
                       Tensor g_var = sp::where(sp::eq(std, 0.0), Scalar(0.0), g / (std * 2.0));
                       return Grads{var_grad(g_var, in, dims, correction)};
                     });
}

Var prod(const Var& x, const DimList& dims, bool keepdim) {
  Tensor out = sp::prod(x.data(), dims, keepdim);
  return make_result("prod", out, {x}, {x.data()}, [dims](const BackwardArgs& a) {
    const Tensor& in = a.saved[0];
    const Shape& shape = in.shape();
    // Product and count of the zeros of each group, computed without dividing by a zero.
    Tensor is_zero = sp::eq(in, 0.0);
    Tensor zero_count = expand_back(sp::sum(is_zero, dims, true), shape, dims);
    Tensor nonzero_prod =
        expand_back(sp::prod(sp::where(is_zero, Scalar(1.0), in), dims, true), shape, dims);
    // No zero: prod / x. One zero: the others' product at the zero, 0 elsewhere. More: 0.
    Tensor at_zero = sp::where(sp::eq(zero_count, 1), nonzero_prod, Scalar(0.0));
    Tensor at_nonzero = sp::where(sp::eq(zero_count, 0),
                                  nonzero_prod / sp::where(is_zero, Scalar(1.0), in), Scalar(0.0));
    return Grads{expand_back(a.grad(), shape, dims) * sp::where(is_zero, at_zero, at_nonzero)};
  });
}

Var amax(const Var& x, const DimList& dims, bool keepdim) {
  return extremum("amax", sp::amax(x.data(), dims, keepdim), x, dims);
}

Var amin(const Var& x, const DimList& dims, bool keepdim) {
  return extremum("amin", sp::amin(x.data(), dims, keepdim), x, dims);
}

Var logsumexp(const Var& x, const DimList& dims, bool keepdim) {
  Tensor out = sp::logsumexp(x.data(), dims, keepdim);
  return make_result("logsumexp", out, {x}, {x.data(), out}, [dims](const BackwardArgs& a) {
    const Tensor& in = a.saved[0];
    Tensor softmax = sp::exp(in - expand_back(a.saved[1], in.shape(), dims));
    return Grads{expand_back(a.grad(), in.shape(), dims) * softmax};
  });
}

Var norm(const Var& x, double p, const DimList& dims, bool keepdim) {
  Tensor out = sp::norm(x.data(), p, dims, keepdim);
  return make_result("norm", out, {x}, {x.data(), out}, [p, dims](const BackwardArgs& a) {
    const Tensor& in = a.saved[0];
    const Shape& shape = in.shape();
    Tensor g = expand_back(a.grad(), shape, dims);
    Tensor n = expand_back(a.saved[1], shape, dims);
    if (p == 0.0) return Grads{sp::zeros_like(in)};
    if (p == 1.0) return Grads{g * sp::sign(in)};
    if (std::isinf(p)) {  // the gradient of max|x| (or min|x|), ties split evenly
      Tensor mag = sp::abs(in);
      return Grads{g * sp::sign(in) * tie_shares(mag, a.saved[1], dims)};
    }
    // d||x||_p / dx = sign(x) |x|^(p-1) / ||x||^(p-1); 0 where the norm is 0.
    Tensor safe_n = sp::where(sp::eq(n, 0.0), Scalar(1.0), n);
    Tensor local = p == 2.0 ? in / safe_n : sp::sign(in) * sp::pow(sp::abs(in) / safe_n, p - 1);
    return Grads{sp::where(sp::eq(n, 0.0), Scalar(0.0), g * local)};
  });
}

std::pair<Var, Tensor> max(const Var& x, int64_t dim, bool keepdim) {
  return indexed_extremum("max", sp::max(x.data(), dim, keepdim), x, dim);
}

std::pair<Var, Tensor> min(const Var& x, int64_t dim, bool keepdim) {
  return indexed_extremum("min", sp::min(x.data(), dim, keepdim), x, dim);
}

Var cumsum(const Var& x, int64_t dim) {
  return make_result("cumsum", sp::cumsum(x.data(), dim), {x}, {}, [dim](const BackwardArgs& a) {
    const Tensor& g = a.grad();
    if (g.dim() == 0 || g.numel() == 0) return Grads{g};
    // The gradient of a prefix sum is the suffix sum: flip, cumsum, flip back (index_select).
    const int d = wrap_dim(dim, g.dim(), "cumsum");
    const double n = double(g.size(d));
    Tensor reversed = sp::arange(n - 1, -1.0, -1.0, DType::I64, g.device());
    return Grads{sp::index_select(sp::cumsum(sp::index_select(g, d, reversed), d), d, reversed)};
  });
}

}  // namespace sp::ag
