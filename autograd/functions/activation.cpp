#include "autograd/functions/activation.h"

#include "autograd/node.h"
#include "tensor/ops/activation.h"

namespace sp::ag {

Var prelu(const Var& x, const Var& weight) {
  SP_CHECK(x.defined() && weight.defined(), "prelu: expected a defined input and weight");
  return make_result("prelu", sp::prelu(x.data(), weight.data()), {x, weight},
                     {x.data(), weight.data()}, [](const BackwardArgs& a) {
                       PreluGrads g = prelu_backward(a.grad(), a.saved[0], a.saved[1]);
                       return std::vector<Tensor>{a.needs(0) ? g.grad_input : Tensor(),
                                                  a.needs(1) ? g.grad_weight : Tensor()};
                     });
}

}  // namespace sp::ag
