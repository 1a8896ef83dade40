// CUDA kernel for reflect / replicate padding with the contract of sp::cpu::pad_edges
// (tensor/ops/movement.h): out contiguous, t any strides, `before` one entry per dim.
#pragma once

#include <vector>

#include "tensor/ops/movement.h"

namespace sp::cuda {

void pad_edges(const Tensor& out, const Tensor& t, const std::vector<int64_t>& before,
               PadMode mode);

}  // namespace sp::cuda
