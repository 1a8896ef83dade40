#include "autograd/functions/softmax.h"

#include "autograd/node.h"
#include "tensor/ops/operators.h"
#include "tensor/ops/reduce.h"
#include "tensor/ops/softmax.h"

namespace sp::ag {

Var softmax(const Var& x, int64_t dim) {
  Tensor out = sp::softmax(x.data(), dim);
  return make_result("softmax", out, {x}, {out}, [dim](const BackwardArgs& a) {
    const Tensor& y = a.saved[0];
    Tensor gy = a.grad() * y;
    return std::vector<Tensor>{gy - y * sp::sum(gy, {dim}, true)};
  });
}

Var log_softmax(const Var& x, int64_t dim) {
  Tensor out = sp::log_softmax(x.data(), dim);
  return make_result("log_softmax", out, {x}, {out}, [dim](const BackwardArgs& a) {
    const Tensor& g = a.grad();
    return std::vector<Tensor>{g - sp::exp(a.saved[0]) * sp::sum(g, {dim}, true)};
  });
}

}  // namespace sp::ag
