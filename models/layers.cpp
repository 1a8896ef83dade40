#include "models/layers.h"

#include "autograd/functions/elementwise.h"
#include "autograd/node.h"
#include "tensor/ops/creation.h"
#include "tensor/ops/elementwise.h"
#include "tensor/ops/norm.h"

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
  const ag::Var& w = param("weight");
  const ag::Var& b = param("bias");
  Tensor mean, invstd, out;
  const bool training = is_training();
  if (training) {
    BatchNormResult r = batch_norm_train(x.data(), w.data(), b.data(), buffer("running_mean"),
                                         buffer("running_var"), momentum_, eps_);
    Tensor& count = buffer("num_batches_tracked");
    add_(count, Scalar(1));
    out = r.output, mean = r.save_mean, invstd = r.save_invstd;
  } else {
    mean = buffer("running_mean").clone();  // the buffer may change before backward
    invstd = rsqrt(add(buffer("running_var"), Scalar(eps_)));
    out = batch_norm_eval(x.data(), w.data(), b.data(), mean, buffer("running_var"), eps_);
  }
  return ag::make_result("batch_norm", out, {x, w, b}, {x.data(), w.data(), mean, invstd},
                         [training](const ag::BackwardArgs& a) {
                           BatchNormGrads g = batch_norm_backward(a.grad(), a.saved[0], a.saved[1], a.saved[2],
                                                                  a.saved[3], training);
                           return std::vector<Tensor>{a.needs(0) ? g.grad_input : Tensor(),
                                                      a.needs(1) ? g.grad_weight : Tensor(),
                                                      a.needs(2) ? g.grad_bias : Tensor()};
                         });
}

}  // namespace sp::models
