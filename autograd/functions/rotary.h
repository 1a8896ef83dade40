// Differentiable rotary position encoding (tensor/ops/rotary.h): apply_rotary(x, cos, sin)
// = x * cos + rotate_half(x) * sin, LightGlue's apply_cached_rotary_emb. cos and sin may
// require gradients (LightGlue learns the frequencies): theirs are summed back over the
// dims they broadcast along.
#pragma once

#include "autograd/var.h"

namespace sp::ag {

Var apply_rotary(const Var& x, const Var& cos, const Var& sin);
Var rotate_half(const Var& x);

}  // namespace sp::ag
