// Adam and AdamW: torch.optim.Adam / AdamW's update rules (bias correction, eps added
// after the bias-corrected square root, optional AMSGrad).
#pragma once

#include <vector>

#include "nn/optim/optimizer.h"

namespace sp::nn::optim {

struct AdamOptions {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.0;  // Adam: added to the gradient; AdamW: decoupled (default 0.01 there)
  bool amsgrad = false;
  bool decoupled_weight_decay = false;  // true = AdamW
};

// The multi-tensor update on plain tensors; `step` is the 1-based step count after
// incrementing (the same for every tensor). max_exp_avg_sqs is used when amsgrad.
//   AdamW: param *= 1 - lr * wd            Adam: grad += wd * param
//   m = beta1 * m + (1 - beta1) * grad;    v = beta2 * v + (1 - beta2) * grad^2
//   vmax = max(vmax, v) (amsgrad);  denom = sqrt(v or vmax) / sqrt(1 - beta2^step) + eps
//   param -= lr / (1 - beta1^step) * m / denom
void adam_update(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
                 const std::vector<Tensor>& exp_avgs, const std::vector<Tensor>& exp_avg_sqs,
                 const std::vector<Tensor>& max_exp_avg_sqs, int64_t step,
                 const AdamOptions& options);

class Adam : public Optimizer {
 public:
  Adam(std::vector<ag::Var> params, const AdamOptions& options);
  void step() override;
  const AdamOptions& options() const { return options_; }

 protected:
  AdamOptions options_;
};

// AdamW: Adam with decoupled weight decay (PyTorch's default weight_decay 0.01).
class AdamW : public Adam {
 public:
  AdamW(std::vector<ag::Var> params, AdamOptions options);
};

AdamOptions adamw_defaults();

}  // namespace sp::nn::optim
