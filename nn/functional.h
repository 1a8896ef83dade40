// Differentiable conv and pooling for the layers, built on the tensor ops and their
// backward kernels (tensor/ops/conv.h, pool.h). They record their own autograd node
// because sp::ag has no conv/pool functions yet; switch the layers to sp::ag::* when
// those land.
#pragma once

#include "autograd/var.h"
#include "tensor/ops/conv.h"
#include "tensor/ops/pool.h"

namespace sp::nn::F {

// input [N, C, H, W], weight [out, C / groups, kh, kw], bias [out] or undefined.
ag::Var conv2d(const ag::Var& input, const ag::Var& weight, const ag::Var& bias, const Conv2dArgs& args = {});
ag::Var max_pool2d(const ag::Var& input, const Pool2dArgs& args);
ag::Var avg_pool2d(const ag::Var& input, const Pool2dArgs& args);

}  // namespace sp::nn::F
