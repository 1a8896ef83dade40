// Gradients of broadcasting ops: reduce a gradient back to an input's shape by summing
// over the dims that broadcasting added or stretched.
#pragma once

#include "autograd/node.h"
#include "tensor/tensor.h"

namespace sp::ag {

// grad summed down to `shape` (which must broadcast to grad's shape). Returns grad
// itself when the shapes already match.
Tensor sum_to(const Tensor& grad, const Shape& shape);
// sum_to the input's shape, in the input's dtype (mixed-dtype ops promote forward).
Tensor grad_for(const Tensor& grad, const TensorMeta& input);

}  // namespace sp::ag
