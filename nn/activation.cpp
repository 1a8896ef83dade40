#include "nn/activation.h"

#include "autograd/functions/activation.h"
#include "autograd/functions/elementwise.h"
#include "tensor/ops/creation.h"

namespace sp::nn {

ag::Var ReLU::forward(const ag::Var& x) {
  return ag::relu(x);
}
ag::Var LeakyReLU::forward(const ag::Var& x) {
  return ag::leaky_relu(x, negative_slope_);
}
ag::Var GELU::forward(const ag::Var& x) {
  return approximate_ == GeluApproximate::Tanh ? ag::gelu_tanh(x) : ag::gelu(x);
}

PReLU::PReLU(int64_t num_parameters, double init)
    : UnaryModule("PReLU"), num_parameters_(num_parameters) {
  SP_CHECK(num_parameters > 0, "PReLU: expected a positive num_parameters, got ", num_parameters);
  register_parameter("weight", full({num_parameters}, init));
}

ag::Var PReLU::forward(const ag::Var& x) {
  return ag::prelu(x, param("weight"));
}

}  // namespace sp::nn
