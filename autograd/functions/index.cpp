#include "autograd/functions/index.h"

#include "autograd/functions/broadcast.h"
#include "autograd/node.h"
#include "tensor/ops/creation.h"
#include "tensor/ops/movement.h"
#include "tensor/ops/operators.h"

namespace sp::ag {
namespace {

// sort / topk: scatter the values' gradient back to the positions the indices name.
std::pair<Var, Tensor> sorted_values(const char* name, ValuesIndices r, const Var& x, int64_t dim) {
  Var values = make_result(name, r.values, {x}, {r.indices}, [dim](const BackwardArgs& a) {
    const TensorMeta& m = a.inputs[0];
    if (m.shape.rank() == 0) return std::vector<Tensor>{a.grad()};
    Tensor base = zeros(m.shape, a.grad().dtype(), m.device);
    return std::vector<Tensor>{sp::scatter_add(base, dim, a.saved[0], a.grad())};
  });
  return {values, r.indices};
}

}  // namespace

Var index_select(const Var& x, int64_t dim, const Tensor& indices) {
  return make_result("index_select", sp::index_select(x.data(), dim, indices), {x}, {indices},
                     [dim](const BackwardArgs& a) {
                       const TensorMeta& m = a.inputs[0];
                       Tensor base = zeros(m.shape, a.grad().dtype(), m.device);
                       return std::vector<Tensor>{sp::index_add(base, dim, a.saved[0], a.grad())};
                     });
}

Var gather(const Var& x, int64_t dim, const Tensor& index) {
  return make_result("gather", sp::gather(x.data(), dim, index), {x}, {index},
                     [dim](const BackwardArgs& a) {
                       const TensorMeta& m = a.inputs[0];
                       Tensor base = zeros(m.shape, a.grad().dtype(), m.device);
                       return std::vector<Tensor>{sp::scatter_add(base, dim, a.saved[0], a.grad())};
                     });
}

Var scatter_add(const Var& x, int64_t dim, const Tensor& index, const Var& src) {
  Tensor out = sp::scatter_add(x.data(), dim, index, src.data());
  return make_result("scatter_add", out, {x, src}, {index}, [dim](const BackwardArgs& a) {
    std::vector<Tensor> grads(2);
    if (a.needs(0)) grads[0] = a.grad();
    if (a.needs(1)) {
      Tensor picked = sp::gather(a.grad(), dim, a.saved[0]);
      // index may be smaller than src: the src elements it never reads get 0 (zero-pad
      // the gathered gradient at the end of each dim, the last dim first for sp::pad).
      const Shape& src_shape = a.inputs[1].shape;
      std::vector<int64_t> pads;
      for (int d = src_shape.rank() - 1; d >= 0; --d)
        pads.insert(pads.end(), {0, src_shape[d] - picked.size(d)});
      grads[1] = picked.shape() == src_shape ? picked : sp::pad(picked, pads);
    }
    return grads;
  });
}

Var index_add(const Var& x, int64_t dim, const Tensor& indices, const Var& src, double alpha) {
  Tensor out = sp::index_add(x.data(), dim, indices, src.data(), alpha);
  return make_result("index_add", out, {x, src}, {indices}, [dim, alpha](const BackwardArgs& a) {
    std::vector<Tensor> grads(2);
    if (a.needs(0)) grads[0] = a.grad();
    if (a.needs(1)) {
      Tensor picked = sp::index_select(a.grad(), dim, a.saved[0]);
      grads[1] = alpha == 1.0 ? picked : picked * alpha;
    }
    return grads;
  });
}

Var masked_select(const Var& x, const Tensor& mask) {
  Tensor out = sp::masked_select(x.data(), mask);
  return make_result("masked_select", out, {x}, {mask}, [](const BackwardArgs& a) {
    const TensorMeta& m = a.inputs[0];
    const Tensor& mask = a.saved[0];
    const Shape shape = broadcast_shapes(m.shape, mask.shape(), "masked_select");
    // Flat positions of the selected elements, in the order masked_select returned them:
    // select them from an arange with the same mask, then scatter the gradient there.
    Tensor positions =
        sp::masked_select(arange(numel(shape), DType::I64, m.device).reshape(shape), mask);
    Tensor flat = zeros({numel(shape)}, a.grad().dtype(), m.device);
    return std::vector<Tensor>{
        grad_for(sp::index_add(flat, 0, positions, a.grad()).reshape(shape), m)};
  });
}

std::pair<Var, Tensor> sort(const Var& x, int64_t dim, bool descending) {
  return sorted_values("sort", sp::sort(x.data(), dim, descending), x, dim);
}

std::pair<Var, Tensor> topk(const Var& x, int64_t k, int64_t dim, bool largest) {
  return sorted_values("topk", sp::topk(x.data(), k, dim, largest), x, dim);
}

}  // namespace sp::ag
