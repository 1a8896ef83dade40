#include "autograd/functions/pool.h"

#include "autograd/grad_mode.h"
#include "autograd/node.h"

namespace sp::ag {

Var max_pool2d(const Var& x, const Pool2dArgs& args) {
  SP_CHECK(x.defined(), "max_pool2d: expected a defined input");
  // Without a graph to record, no index map is written (half the traffic of a 2x2 pool).
  MaxPool2dResult r = sp::max_pool2d(x.data(), args, grad_enabled() && x.requires_grad());
  return make_result("max_pool2d", r.values, {x}, {r.indices}, [](const BackwardArgs& a) {
    return std::vector<Tensor>{max_pool2d_backward(a.grad(), a.saved[0], a.inputs[0].shape)};
  });
}

Var avg_pool2d(const Var& x, const Pool2dArgs& args) {
  SP_CHECK(x.defined(), "avg_pool2d: expected a defined input");
  return make_result(
      "avg_pool2d", sp::avg_pool2d(x.data(), args), {x}, {}, [args](const BackwardArgs& a) {
        return std::vector<Tensor>{avg_pool2d_backward(a.grad(), a.inputs[0].shape, args)};
      });
}

}  // namespace sp::ag
