// Differentiable dropout (torch.nn.functional.dropout): in training, zeroes each element
// with probability p (a Philox Bernoulli mask from tensor/ops/random.h drawn from `gen`)
// and scales the kept ones by 1 / (1 - p); otherwise (or with p = 0) returns x itself.
#pragma once

#include "autograd/var.h"
#include "tensor/ops/random.h"

namespace sp::ag {

Var dropout(const Var& x, double p, bool training, Generator& gen);

}  // namespace sp::ag
