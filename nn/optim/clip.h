// Gradient clipping: torch.nn.utils.clip_grad_norm_.
#pragma once

#include <limits>
#include <vector>

#include "autograd/var.h"

namespace sp::nn::optim {

// Scales every gradient by min(1, max_norm / (total + 1e-6)), where total is the
// norm_type-norm of all gradients together (infinity = max |g|). Returns total.
// Parameters without a gradient are ignored.
double clip_grad_norm_(const std::vector<ag::Var>& params, double max_norm, double norm_type = 2.0);

}  // namespace sp::nn::optim
