#include "nn/conv_batch_norm.h"

#include "autograd/functions/conv.h"
#include "autograd/functions/elementwise.h"
#include "autograd/grad_mode.h"
#include "nn/activation.h"
#include "tensor/ops/elementwise.h"
#include "tensor/ops/norm.h"

namespace sp::nn {

bool batch_norm_folds(const BatchNorm2d& bn) {
  return !ag::grad_enabled() && !bn.is_training() && bn.options().track_running_stats;
}

ag::Var conv_batch_norm(Conv2d& conv, BatchNorm2d& bn, const ag::Var& x, bool relu) {
  if (!batch_norm_folds(bn)) {
    ag::Var y = bn.forward(conv.forward(x));
    return relu ? ag::relu(y) : y;
  }
  SP_CHECK(conv.options().out_channels == bn.num_features(),
           "conv_batch_norm: expected a BatchNorm2d of ", conv.options().out_channels,
           " features after the Conv2d, got ", bn.num_features());
  // (conv(x) + b - mean) * s == (conv(x) - (mean - b)) * s: the bias joins the mean.
  Tensor mean = bn.buffer("running_mean");
  if (conv.options().bias) mean = sub(mean, conv.param("bias").data());
  Tensor y = ag::conv2d(x, conv.param("weight"), ag::Var(), conv.options().args).data();
  if (!y.is_contiguous()) y = y.contiguous();  // the in-place pass walks [N, C, H*W] rows
  const BatchNormOptions& o = bn.options();
  batch_norm_inference_(y, o.affine ? bn.param("weight").data() : Tensor(),
                        o.affine ? bn.param("bias").data() : Tensor(), mean,
                        bn.buffer("running_var"), o.eps, relu);
  return ag::Var(y);
}

size_t forward_folded_conv_batch_norm(const std::vector<std::shared_ptr<UnaryModule>>& layers,
                                      size_t i, ag::Var& y) {
  if (i + 1 >= layers.size()) return 0;
  auto* conv = dynamic_cast<Conv2d*>(layers[i].get());
  auto* bn = dynamic_cast<BatchNorm2d*>(layers[i + 1].get());
  if (!conv || !bn || !batch_norm_folds(*bn)) return 0;
  const bool relu = i + 2 < layers.size() && dynamic_cast<ReLU*>(layers[i + 2].get()) != nullptr;
  y = conv_batch_norm(*conv, *bn, y, relu);
  return relu ? 3 : 2;
}

}  // namespace sp::nn
