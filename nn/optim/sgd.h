// SGD with momentum, dampening, Nesterov and (L2) weight decay: torch.optim.SGD's rule.
#pragma once

#include <vector>

#include "nn/optim/optimizer.h"

namespace sp::nn::optim {

struct SGDOptions {
  double lr = 0.01;
  double momentum = 0.0;
  double dampening = 0.0;
  double weight_decay = 0.0;
  bool nesterov = false;
};

// The multi-tensor update on plain tensors (all on one device, contiguous, same dtype
// per index). momentum_buffers[i] undefined means "first step": it is created as a
// copy of the (decayed) gradient, as in PyTorch.
//   d = grad + wd * param
//   buf = first ? d : momentum * buf + (1 - dampening) * d
//   d = nesterov ? d + momentum * buf : buf          (when momentum != 0)
//   param -= lr * d
void sgd_update(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
                std::vector<Tensor>& momentum_buffers, const SGDOptions& options);

class SGD : public Optimizer {
 public:
  SGD(std::vector<ag::Var> params, const SGDOptions& options);
  void step() override;
  const SGDOptions& options() const { return options_; }

 private:
  SGDOptions options_;
};

}  // namespace sp::nn::optim
