// CUDA rotary kernel, the contract of sp::cpu::rotary (tensor/ops/rotary.h).
#pragma once

#include "tensor/ops/rotary.h"

namespace sp::cuda {

void rotary(const Tensor& out, const Tensor& x, const Tensor& cos, const Tensor& sin,
            bool transpose);

}  // namespace sp::cuda
