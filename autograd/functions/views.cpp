#include "autograd/functions/views.h"

#include "autograd/functions/broadcast.h"
#include "autograd/node.h"
#include "tensor/ops/creation.h"

namespace sp::ag {
namespace {

// Gradient of a view that picks part of the input: zeros with the picked part filled.
Tensor scatter_into_zeros(const Tensor& grad, const TensorMeta& input,
                          const std::function<Tensor(const Tensor&)>& pick) {
  Tensor g = zeros(input.shape, grad.dtype(), grad.device());
  pick(g).copy_(grad);
  return g;
}

}  // namespace

Var reshape(const Var& x, const Shape& shape) {
  return make_result("reshape", x.data().reshape(shape), {x}, {}, [](const BackwardArgs& a) {
    return std::vector<Tensor>{a.grad().reshape(a.inputs[0].shape)};
  });
}

Var flatten(const Var& x, int64_t start_dim, int64_t end_dim) {
  return reshape(x, x.data().flatten(start_dim, end_dim).shape());
}

Var permute(const Var& x, const std::vector<int64_t>& dims) {
  Tensor out = x.data().permute(dims);
  std::vector<int64_t> inverse(dims.size());
  for (size_t i = 0; i < dims.size(); ++i)
    inverse[size_t(wrap_dim(dims[i], int(dims.size()), "permute"))] = int64_t(i);
  return make_result("permute", out, {x}, {}, [inverse](const BackwardArgs& a) {
    return std::vector<Tensor>{a.grad().permute(inverse)};
  });
}

Var transpose(const Var& x, int64_t d0, int64_t d1) {
  return make_result(
      "transpose", x.data().transpose(d0, d1), {x}, {},
      [d0, d1](const BackwardArgs& a) { return std::vector<Tensor>{a.grad().transpose(d0, d1)}; });
}

Var slice(const Var& x, int64_t dim, int64_t start, int64_t end, int64_t step) {
  return make_result(
      "slice", x.data().slice(dim, start, end, step), {x}, {}, [=](const BackwardArgs& a) {
        return std::vector<Tensor>{scatter_into_zeros(a.grad(), a.inputs[0], [&](const Tensor& g) {
          return g.slice(dim, start, end, step);
        })};
      });
}

Var narrow(const Var& x, int64_t dim, int64_t start, int64_t length) {
  int d = wrap_dim(dim, x.dim(), "narrow");
  int64_t s = start < 0 ? start + x.size(d) : start;
  return make_result(
      "narrow", x.data().narrow(dim, start, length), {x}, {}, [=](const BackwardArgs& a) {
        return std::vector<Tensor>{scatter_into_zeros(
            a.grad(), a.inputs[0], [&](const Tensor& g) { return g.narrow(d, s, length); })};
      });
}

Var select(const Var& x, int64_t dim, int64_t index) {
  return make_result("select", x.data().select(dim, index), {x}, {}, [=](const BackwardArgs& a) {
    return std::vector<Tensor>{scatter_into_zeros(
        a.grad(), a.inputs[0], [&](const Tensor& g) { return g.select(dim, index); })};
  });
}

Var squeeze(const Var& x, int64_t dim) {
  return make_result("squeeze", x.data().squeeze(dim), {x}, {}, [](const BackwardArgs& a) {
    return std::vector<Tensor>{a.grad().reshape(a.inputs[0].shape)};
  });
}

Var unsqueeze(const Var& x, int64_t dim) {
  return make_result("unsqueeze", x.data().unsqueeze(dim), {x}, {}, [](const BackwardArgs& a) {
    return std::vector<Tensor>{a.grad().reshape(a.inputs[0].shape)};
  });
}

Var contiguous(const Var& x) {
  return make_result("contiguous", x.data().contiguous(), {x}, {},
                     [](const BackwardArgs& a) { return std::vector<Tensor>{a.grad()}; });
}

Var expand(const Var& x, const Shape& shape) {
  return make_result("expand", x.data().expand(shape), {x}, {}, [](const BackwardArgs& a) {
    return std::vector<Tensor>{sum_to(a.grad(), a.inputs[0].shape)};
  });
}

}  // namespace sp::ag
