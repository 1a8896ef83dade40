#include "autograd/functions/broadcast.h"

#include "tensor/ops/creation.h"

namespace sp::ag {

Tensor sum_to(const Tensor& grad, const Shape& shape) {
  if (grad.shape() == shape) return grad;
  SP_CHECK(broadcast_shapes(shape, grad.shape(), "sum_to") == grad.shape(), "sum_to: expected a shape that broadcasts to ",
           grad.shape(), ", got ", shape);
  // TODO(reduce): replace with sp::sum over the broadcast dims once it is on main.
  std::vector<double> g = grad.to(DType::F64).cpu().to_vector<double>();
  std::vector<double> out(size_t(numel(shape)), 0.0);
  Strides target = broadcast_strides(shape, contiguous_strides(shape), grad.shape());
  const int rank = grad.dim();
  std::vector<int64_t> index(size_t(rank), 0);
  for (size_t flat = 0; flat < g.size(); ++flat) {
    int64_t o = 0;
    for (int d = 0; d < rank; ++d) o += index[size_t(d)] * target[d];
    out[size_t(o)] += g[flat];
    for (int d = rank - 1; d >= 0; --d) {
      if (++index[size_t(d)] < grad.size(d)) break;
      index[size_t(d)] = 0;
    }
  }
  return from_vector(out, shape).to(grad.device(), grad.dtype());
}

}  // namespace sp::ag

namespace sp::ag {

Tensor grad_for(const Tensor& grad, const TensorMeta& input) { return sum_to(grad, input.shape).to(input.dtype); }

}  // namespace sp::ag
