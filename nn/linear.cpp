#include "nn/linear.h"

#include "autograd/functions/matmul.h"
#include "autograd/functions/views.h"
#include "autograd/operators.h"
#include "nn/init.h"
#include "tensor/ops/creation.h"

namespace sp::nn {

Linear::Linear(int64_t in_features, int64_t out_features, bool bias, Generator& gen)
    : UnaryModule("Linear"), in_features_(in_features), out_features_(out_features), bias_(bias) {
  SP_CHECK(in_features > 0 && out_features > 0, "Linear: expected positive feature counts, got in ",
           in_features, ", out ", out_features);
  Tensor w = empty({out_features, in_features});
  Tensor b = bias ? empty({out_features}) : Tensor();
  init::default_linear_init(w, b, gen);
  register_parameter("weight", w);
  if (bias) register_parameter("bias", b);
}

ag::Var Linear::forward(const ag::Var& x) {
  SP_CHECK(x.defined() && x.dim() >= 1 && x.size(-1) == in_features_,
           "Linear: expected an input [*, ", in_features_, "], got ",
           x.defined() ? x.shape() : Shape{});
  return ag::linear(x, param("weight"), bias_ ? param("bias") : ag::Var());
}

}  // namespace sp::nn
