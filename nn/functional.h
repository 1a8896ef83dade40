// Functional forms the layers use (torch.nn.functional names), forwarding to the
// differentiable sp::ag functions.
#pragma once

#include "autograd/functions/conv.h"
#include "autograd/functions/pool.h"

namespace sp::nn::F {

// input [N, C, H, W], weight [out, C / groups, kh, kw], bias [out] or undefined.
inline ag::Var conv2d(const ag::Var& input, const ag::Var& weight, const ag::Var& bias,
                      const Conv2dArgs& args = {}) {
  return ag::conv2d(input, weight, bias, args);
}
inline ag::Var max_pool2d(const ag::Var& input, const Pool2dArgs& args) {
  return ag::max_pool2d(input, args);
}
inline ag::Var avg_pool2d(const ag::Var& input, const Pool2dArgs& args) {
  return ag::avg_pool2d(input, args);
}

}  // namespace sp::nn::F
