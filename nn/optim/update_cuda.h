// CUDA versions of the optimizer updates (nn/optim/update.cu): one fused elementwise
// kernel per parameter tensor, the same arithmetic as the CPU loops in sgd.cpp/adam.cpp.
// Every tensor is contiguous, on the same GPU and of the parameter's dtype (f32/f64).
#pragma once

#include <cstdint>

#include "nn/optim/adam.h"
#include "nn/optim/sgd.h"

namespace sp::nn::optim::cuda {

void sgd_update(const Tensor& param, const Tensor& grad, const Tensor& momentum_buffer, bool first,
                const SGDOptions& options);
void adam_update(const Tensor& param, const Tensor& grad, const Tensor& exp_avg, const Tensor& exp_avg_sq,
                 const Tensor& max_exp_avg_sq, int64_t step, const AdamOptions& options);

}  // namespace sp::nn::optim::cuda
