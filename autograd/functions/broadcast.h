// Gradients of broadcasting ops: reduce a gradient back to an input's shape by summing
// over the dims that broadcasting added or stretched.
#pragma once

#include "tensor/tensor.h"

namespace sp::ag {

// grad summed down to `shape` (which must broadcast to grad's shape). Returns grad
// itself when the shapes already match.
Tensor sum_to(const Tensor& grad, const Shape& shape);

}  // namespace sp::ag
