#include "models/layers.h"

#include "autograd/functions/elementwise.h"
#include "autograd/functions/norm.h"
#include "tensor/ops/creation.h"
#include "tensor/ops/elementwise.h"

namespace sp::models {

ag::Var ReLU::forward(const ag::Var& x) { return ag::relu(x); }

BatchNorm2d::BatchNorm2d(int64_t channels, double eps, double momentum)
    : nn::UnaryModule("BatchNorm2d"), channels_(channels), eps_(eps), momentum_(momentum) {
  SP_CHECK(channels > 0, "BatchNorm2d: expected a positive channel count, got ", channels);
  register_parameter("weight", ones({channels}));
  register_parameter("bias", zeros({channels}));
  register_buffer("running_mean", zeros({channels}));
  register_buffer("running_var", ones({channels}));
  register_buffer("num_batches_tracked", zeros({}, DType::I64));
}

ag::Var BatchNorm2d::forward(const ag::Var& x) {
  SP_CHECK(x.dim() == 4 && x.size(1) == channels_, "BatchNorm2d: expected an input [N, ", channels_,
           ", H, W], got ", x.shape());
  if (is_training()) {
    Tensor& count = buffer("num_batches_tracked");
    add_(count, Scalar(1));
  }
  return ag::batch_norm(x, param("weight"), param("bias"), buffer("running_mean"), buffer("running_var"),
                        is_training(), momentum_, eps_);
}

}  // namespace sp::models
