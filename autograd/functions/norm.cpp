#include "autograd/functions/norm.h"

#include "autograd/functions/elementwise.h"
#include "autograd/functions/reduce.h"
#include "autograd/node.h"
#include "tensor/ops/operators.h"

namespace sp::ag {

Var batch_norm(const Var& x, const Var& weight, const Var& bias, Tensor running_mean,
               Tensor running_var, bool training, double momentum, double eps) {
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
             "batch_norm: expected running_mean and running_var in eval mode, got undefined "
             "buffers; hint: pass "
             "training = true to normalise with the batch statistics");
    out = batch_norm_eval(x.data(), w, b, running_mean, running_var, eps);
    // Copies: a later training step updates the buffers in place.
    mean = running_mean.clone();
    invstd = sp::rsqrt(running_var + eps);
  }
  return make_result("batch_norm", out, {x, weight, bias}, {x.data(), w, mean, invstd},
                     [training](const BackwardArgs& a) {
                       BatchNormGrads g = batch_norm_backward(a.grad(), a.saved[0], a.saved[1],
                                                              a.saved[2], a.saved[3], training);
                       return std::vector<Tensor>{a.needs(0) ? g.grad_input : Tensor(),
                                                  a.needs(1) ? g.grad_weight : Tensor(),
                                                  a.needs(2) ? g.grad_bias : Tensor()};
                     });
}

namespace {

std::vector<Tensor> affine_grads(const BackwardArgs& a, GroupNormGrads g) {
  return {a.needs(0) ? g.grad_input : Tensor(), a.needs(1) ? g.grad_weight : Tensor(),
          a.needs(2) ? g.grad_bias : Tensor()};
}

Tensor data_or_undefined(const Var& v) {
  return v.defined() ? v.data() : Tensor();
}

}  // namespace

Var layer_norm(const Var& x, const std::vector<int64_t>& normalized_shape, const Var& weight,
               const Var& bias, double eps) {
  SP_CHECK(x.defined(), "layer_norm: expected a defined input");
  const Tensor w = data_or_undefined(weight);
  GroupNormResult r = sp::layer_norm(x.data(), normalized_shape, w, data_or_undefined(bias), eps);
  return make_result("layer_norm", r.output, {x, weight, bias}, {x.data(), w, r.mean, r.rstd},
                     [normalized_shape](const BackwardArgs& a) {
                       return affine_grads(
                           a,
                           layer_norm_backward(a.grad(), a.saved[0], normalized_shape, a.saved[1],
                                               a.saved[2], a.saved[3], a.needs(1) || a.needs(2)));
                     });
}

Var group_norm(const Var& x, int64_t groups, const Var& weight, const Var& bias, double eps) {
  SP_CHECK(x.defined(), "group_norm: expected a defined input");
  const Tensor w = data_or_undefined(weight);
  GroupNormResult r = sp::group_norm(x.data(), groups, w, data_or_undefined(bias), eps);
  return make_result("group_norm", r.output, {x, weight, bias}, {x.data(), w, r.mean, r.rstd},
                     [groups](const BackwardArgs& a) {
                       return affine_grads(
                           a,
                           group_norm_backward(a.grad(), a.saved[0], groups, a.saved[1], a.saved[2],
                                               a.saved[3], a.needs(1) || a.needs(2)));
                     });
}

Var instance_norm(const Var& x, const Var& weight, const Var& bias, double eps) {
  SP_CHECK(x.defined(), "instance_norm: expected a defined input");
  const Tensor w = data_or_undefined(weight);
  GroupNormResult r = sp::instance_norm(x.data(), w, data_or_undefined(bias), eps);
  const int64_t groups = x.dim() >= 2 && x.size(1) > 0 ? x.size(1) : 1;
  return make_result("instance_norm", r.output, {x, weight, bias}, {x.data(), w, r.mean, r.rstd},
                     [groups](const BackwardArgs& a) {
                       return affine_grads(
                           a,
                           group_norm_backward(a.grad(), a.saved[0], groups, a.saved[1], a.saved[2],
                                               a.saved[3], a.needs(1) || a.needs(2)));
                     });
}

Var normalize(const Var& x, double p, int64_t dim, double eps) {
  SP_CHECK(x.defined(), "normalize: expected a defined input");
  return div(x, clamp(norm(x, p, {dim}, true), Scalar(eps), std::nullopt));
}

}  // namespace sp::ag
