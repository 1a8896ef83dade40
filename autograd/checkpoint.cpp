#include "autograd/checkpoint.h"

#include "autograd/grad_mode.h"
#include "autograd/node.h"

namespace sp::ag {

Var checkpoint(const CheckpointFn& fn, const std::vector<Var>& inputs) {
  Tensor output;
  {
    NoGradGuard no_grad;
    std::vector<Var> detached;
    for (const Var& v : inputs) detached.push_back(v.defined() ? v.detach() : Var());
    output = fn(detached).data();
  }
  std::vector<Tensor> saved;
  for (const Var& v : inputs) saved.push_back(v.defined() ? v.data() : Tensor());
  return make_result("checkpoint", output, inputs, std::move(saved), [fn](const BackwardArgs& a) {
    EnableGradGuard grad_on;
    std::vector<Var> leaves;
    for (size_t i = 0; i < a.saved.size(); ++i)
      leaves.push_back(a.saved[i].defined() ? Var(a.saved[i], a.needs(i)) : Var());
    Var out = fn(leaves);
    std::vector<Tensor> grads(leaves.size());
    if (!out.requires_grad()) return grads;
    backward(out, a.grad());
    for (size_t i = 0; i < leaves.size(); ++i)
      if (leaves[i].defined() && a.needs(i)) grads[i] = leaves[i].grad();
    return grads;
  });
}

}  // namespace sp::ag
