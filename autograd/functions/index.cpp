#include "autograd/functions/index.h"

#include "autograd/node.h"
#include "tensor/ops/creation.h"

namespace sp::ag {

Var index_select(const Var& x, int64_t dim, const Tensor& indices) {
  return make_result("index_select", sp::index_select(x.data(), dim, indices), {x}, {indices},
                     [dim](const BackwardArgs& a) {
                       const TensorMeta& m = a.inputs[0];
                       Tensor base = zeros(m.shape, a.grad().dtype(), m.device);
                       return std::vector<Tensor>{sp::index_add(base, dim, a.saved[0], a.grad())};
                     });
}

Var gather(const Var& x, int64_t dim, const Tensor& index) {
  return make_result("gather", sp::gather(x.data(), dim, index), {x}, {index}, [dim](const BackwardArgs& a) {
    const TensorMeta& m = a.inputs[0];
    Tensor base = zeros(m.shape, a.grad().dtype(), m.device);
    return std::vector<Tensor>{sp::scatter_add(base, dim, a.saved[0], a.grad())};
  });
}

}  // namespace sp::ag
