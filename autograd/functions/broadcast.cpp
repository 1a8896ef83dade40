#include "autograd/functions/broadcast.h"

#include "tensor/ops/reduce.h"

namespace sp::ag {

Tensor sum_to(const Tensor& grad, const Shape& shape) {
  if (grad.shape() == shape) return grad;
  SP_CHECK(broadcast_shapes(shape, grad.shape(), "sum_to") == grad.shape(),
           "sum_to: expected a shape that broadcasts to ", grad.shape(), ", got ", shape);
  return ::sp::sum_to(grad, shape);
}

}  // namespace sp::ag

namespace sp::ag {

Tensor grad_for(const Tensor& grad, const TensorMeta& input) {
  return ag::sum_to(grad, input.shape).to(input.dtype);
}

}  // namespace sp::ag
