#include "autograd/functions/rotary.h"

#include "autograd/functions/broadcast.h"
#include "autograd/node.h"
#include "tensor/ops/elementwise.h"
#include "tensor/ops/rotary.h"

namespace sp::ag {

Var apply_rotary(const Var& x, const Var& cos, const Var& sin) {
  SP_CHECK(x.defined() && cos.defined() && sin.defined(),
           "apply_rotary: expected defined x, cos and sin");
  return make_result(
      "apply_rotary", sp::apply_rotary(x.data(), cos.data(), sin.data()), {x, cos, sin},
      {x.data(), cos.data(), sin.data()}, [](const BackwardArgs& a) {
        const Tensor& g = a.grad();
        const std::vector<Tensor>& s = a.saved;
        return std::vector<Tensor>{
            a.needs(0) ? apply_rotary_backward(g, s[1], s[2]) : Tensor(),
            a.needs(1) ? grad_for(sp::mul(g, s[0]), a.inputs[1]) : Tensor(),
            a.needs(2) ? grad_for(sp::mul(g, sp::rotate_half(s[0])), a.inputs[2]) : Tensor()};
      });
}

Var rotate_half(const Var& x) {
  SP_CHECK(x.defined(), "rotate_half: expected a defined input");
  return make_result("rotate_half", sp::rotate_half(x.data()), {x}, {}, [](const BackwardArgs& a) {
    // rotate_half^T = -rotate_half
    return std::vector<Tensor>{sp::neg(sp::rotate_half(a.grad()))};
  });
}

}  // namespace sp::ag
