// Fused multi-tensor Adam/AdamW update on the GPU: one launch updates up to 24 tensors
// (param, grad, exp_avg, exp_avg_sq[, max_exp_avg_sq]) in a single pass over memory.
// The per-element arithmetic is exactly nn/optim/adam.cpp's CPU update (torch.optim's
// rules): step-dependent factors in double, rounded to the tensor dtype.
#pragma once

#include <cstdint>
#include <vector>

#include "tensor/tensor.h"

namespace sp::cuda {

struct AdamConfig {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.0;  // Adam: added to the gradient; AdamW: decoupled
  bool amsgrad = false;
  bool decoupled_weight_decay = false;  // true = AdamW
};

// All tensors on one GPU, contiguous (grads are made contiguous), equal shapes per
// index, dtype f32 or f64; max_exp_avg_sqs is only read when amsgrad. `step` >= 1 is the
// 1-based step count after incrementing.
void adam_update(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
                 const std::vector<Tensor>& exp_avgs, const std::vector<Tensor>& exp_avg_sqs,
                 const std::vector<Tensor>& max_exp_avg_sqs, int64_t step,
                 const AdamConfig& config);

}  // namespace sp::cuda
