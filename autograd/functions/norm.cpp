#include "autograd/functions/norm.h"

#include "autograd/functions/elementwise.h"
#include "autograd/functions/reduce.h"
#include "autograd/node.h"
#include "tensor/ops/operators.h"

namespace sp::ag {

Var batch_norm(const Var& x, const Var& weight, const Var& bias, Tensor running_mean, Tensor running_var,
               bool training, double momentum, double eps) {
  SP_CHECK(x.defined(), "batch_norm: expected a defined input");
  const Tensor w = weight.defined() ? weight.data() : Tensor();
  const Tensor b = bias.defined() ? bias.data() : Tensor();
  Tensor out, mean, invstd;
  if (training) {
    BatchNormResult r = batch_norm_train(x.data(), w, b, running_mean, running_var, momentum, eps);
    out = r.output;
    mean = r.save_mean;
    invstd = r.save_invstd;
  } else {
    SP_CHECK(running_mean.defined() && running_var.defined(),
             "batch_norm: expected running_mean and running_var in eval mode, got undefined buffers; hint: pass "
             "training = true to normalise with the batch statistics");
    out = batch_norm_eval(x.data(), w, b, running_mean, running_var, eps);
    // Copies: a later training step updates the buffers in place.
    mean = running_mean.clone();
    invstd = sp::rsqrt(running_var + eps);
  }
  return make_result("batch_norm", out, {x, weight, bias}, {x.data(), w, mean, invstd},
                     [training](const BackwardArgs& a) {
                       BatchNormGrads g = batch_norm_backward(a.grad(), a.saved[0], a.saved[1], a.saved[2],
                                                              a.saved[3], training);
                       return std::vector<Tensor>{a.needs(0) ? g.grad_input : Tensor(),
                                                  a.needs(1) ? g.grad_weight : Tensor(),
                                                  a.needs(2) ? g.grad_bias : Tensor()};
                     });
}

Var normalize(const Var& x, double p, int64_t dim, double eps) {
  SP_CHECK(x.defined(), "normalize: expected a defined input");
  return div(x, clamp(norm(x, p, {dim}, true), Scalar(eps), std::nullopt));
}

}  // namespace sp::ag
