#include "nn/activation.h"

#include "autograd/functions/elementwise.h"

namespace sp::nn {

ag::Var ReLU::forward(const ag::Var& x) {
  return ag::relu(x);
}
ag::Var LeakyReLU::forward(const ag::Var& x) {
  return ag::leaky_relu(x, negative_slope_);
}
ag::Var GELU::forward(const ag::Var& x) {
  return ag::gelu(x);
}

}  // namespace sp::nn
