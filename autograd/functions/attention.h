// Differentiable fused attention (tensor/ops/attention.h): q [*, N, d], k [*, M, d],
// v [*, M, dv] -> [*, N, dv]; mask (bool, broadcastable to [*, N, M], true = attend)
// carries no gradient. The backward recomputes the probabilities tile by tile from the
// saved output and row logsumexp, so nothing of size N x M is kept.
#pragma once

#include <optional>

#include "autograd/var.h"

namespace sp::ag {

Var scaled_dot_product_attention(const Var& q, const Var& k, const Var& v, const Tensor& mask = {},
                                 std::optional<double> scale = {});

}  // namespace sp::ag
