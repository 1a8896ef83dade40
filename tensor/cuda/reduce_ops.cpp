// Maps the [outer, size, inner] reduction kernels of tensor/ops/reduce.h onto the CUDA
// kernels of tensor/cuda/reduce.h (which take that layout as is, without a copy).
#include "tensor/cuda/reduce_ops.h"

#include "tensor/cuda/reduce.h"

namespace sp::cuda {

namespace {

cuda::ReduceOp kernel_op(sp::ReduceOp op) {
  switch (op) {
    case sp::ReduceOp::Sum:
      return cuda::ReduceOp::Sum;
    case sp::ReduceOp::Prod:
      return cuda::ReduceOp::Prod;
    case sp::ReduceOp::Mean:
      return cuda::ReduceOp::Mean;
    case sp::ReduceOp::Amax:
      return cuda::ReduceOp::Max;
    case sp::ReduceOp::Amin:
      return cuda::ReduceOp::Min;
    case sp::ReduceOp::Any:
      return cuda::ReduceOp::Any;
    case sp::ReduceOp::All:
      return cuda::ReduceOp::All;
    case sp::ReduceOp::Norm:
      return cuda::ReduceOp::Norm;
  }
  SP_FAIL("cuda: unknown reduce op ", int(op));
}

Tensor as3(const Tensor& t, int64_t outer, int64_t size, int64_t inner) {
  return t.view({outer, size, inner});
}

}  // namespace

void reduce(sp::ReduceOp op, const Tensor& out, const Tensor& in, int64_t outer, int64_t size,
            int64_t inner, double p) {
  cuda::reduce(kernel_op(op), out, as3(in, outer, size, inner), {1}, p);
}

void arg_reduce(bool is_max, const Tensor& values, const Tensor& indices, const Tensor& in,
                int64_t outer, int64_t size, int64_t inner) {
  cuda::arg_reduce(is_max, values, indices, as3(in, outer, size, inner), 1);
}

void cumsum(const Tensor& out, const Tensor& in, int64_t outer, int64_t size, int64_t inner) {
  cuda::cumsum(as3(out, outer, size, inner), as3(in, outer, size, inner), 1);
}

void softmax(const Tensor& out, const Tensor& in, int64_t outer, int64_t size, int64_t inner,
             bool log) {
  cuda::softmax(as3(out, outer, size, inner), as3(in, outer, size, inner), 1, log);
}

}  // namespace sp::cuda
