// CUDA SGD update (nn/optim/update.cu): one fused elementwise kernel per parameter
// tensor, the same arithmetic as the CPU loop in sgd.cpp. (Adam's CUDA update is the
// multi-tensor kernel in tensor/cuda/adam.h.)
// Every tensor is contiguous, on the same GPU and of the parameter's dtype (f32/f64).
#pragma once

#include <cstdint>

#include "nn/optim/sgd.h"

namespace sp::nn::optim::cuda {

void sgd_update(const Tensor& param, const Tensor& grad, const Tensor& momentum_buffer, bool first,
                const SGDOptions& options);

}  // namespace sp::nn::optim::cuda
