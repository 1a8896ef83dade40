#include "nn/normalization.h"

#include <sstream>

#include "autograd/functions/norm.h"
#include "autograd/functions/reduce.h"
#include "autograd/functions/views.h"
#include "autograd/operators.h"
#include "tensor/ops/creation.h"
#include "tensor/ops/elementwise.h"
#include "tensor/ops/operators.h"
#include "tensor/ops/reduce.h"

namespace sp::nn {

BatchNorm2d::BatchNorm2d(int64_t num_features, const BatchNormOptions& options)
    : UnaryModule("BatchNorm2d"), num_features_(num_features), options_(options) {
  SP_CHECK(num_features > 0, "BatchNorm2d: expected a positive num_features, got ", num_features);
  SP_CHECK(options.eps > 0.0, "BatchNorm2d: expected eps > 0, got ", options.eps);
  if (options.affine) {
    register_parameter("weight", ones({num_features}));
    register_parameter("bias", zeros({num_features}));
  }
  if (options.track_running_stats) {
    register_buffer("running_mean", zeros({num_features}));
    register_buffer("running_var", ones({num_features}));
    register_buffer("num_batches_tracked", zeros({}, DType::I64));
  }
}

ag::Var BatchNorm2d::forward(const ag::Var& x) {
  SP_CHECK(x.defined() && x.dim() == 4 && x.size(1) == num_features_,
           "BatchNorm2d: expected an input [N, ", num_features_, ", H, W], got ",
           x.defined() ? x.shape() : Shape{});
  const bool track = options_.track_running_stats;
  const bool use_batch_stats = is_training() || !track;
  double momentum = options_.momentum.value_or(0.0);
  Tensor running_mean, running_var;
  if (track) {
    running_mean = buffer("running_mean");
    running_var = buffer("running_var");
    if (is_training()) {
      Tensor& count = buffer("num_batches_tracked");
      add_(count, Scalar(1));
      // Cumulative moving average: the k-th batch gets weight 1 / k.
      if (!options_.momentum) momentum = 1.0 / double(count.cpu().item<int64_t>());
    }
  }
  ag::Var w = options_.affine ? param("weight") : ag::Var();
  ag::Var b = options_.affine ? param("bias") : ag::Var();
  return ag::batch_norm(x, w, b, running_mean, running_var, use_batch_stats, momentum,
                        options_.eps);
}

LayerNorm::LayerNorm(std::vector<int64_t> normalized_shape, double eps, bool elementwise_affine)
    : UnaryModule("LayerNorm"),
      normalized_shape_(std::move(normalized_shape)),
      eps_(eps),
      affine_(elementwise_affine) {
  SP_CHECK(!normalized_shape_.empty(), "LayerNorm: expected a non-empty normalized_shape");
  for (int64_t d : normalized_shape_)
    SP_CHECK(d > 0, "LayerNorm: expected positive normalized_shape sizes, got ", d);
  if (affine_) {
    Shape s(normalized_shape_);
    register_parameter("weight", ones(s));
    register_parameter("bias", zeros(s));
  }
}

ag::Var LayerNorm::forward(const ag::Var& x) {
  const int64_t k = int64_t(normalized_shape_.size());
  bool ok = x.defined() && x.dim() >= k;
  for (int64_t i = 0; ok && i < k; ++i)
    ok = x.size(x.dim() - k + i) == normalized_shape_[size_t(i)];
  if (!ok) {
    std::ostringstream want;
    want << "[*";
    for (int64_t d : normalized_shape_) want << ", " << d;
    want << "]";
    SP_CHECK(false, "LayerNorm: expected an input ", want.str(), ", got ",
             x.defined() ? x.shape() : Shape{});
  }
  return ag::layer_norm(x, normalized_shape_, affine_ ? param("weight") : ag::Var(),
                        affine_ ? param("bias") : ag::Var(), eps_);
}

GroupNorm::GroupNorm(int64_t num_groups, int64_t num_channels, double eps, bool affine)
    : UnaryModule("GroupNorm"),
      num_groups_(num_groups),
      num_channels_(num_channels),
      eps_(eps),
      affine_(affine) {
  SP_CHECK(num_groups > 0 && num_channels > 0 && num_channels % num_groups == 0,
           "GroupNorm: expected num_channels divisible by num_groups, got ", num_channels,
           " channels in ", num_groups, " groups");
  if (affine) {
    register_parameter("weight", ones({num_channels}));
    register_parameter("bias", zeros({num_channels}));
  }
}

ag::Var GroupNorm::forward(const ag::Var& x) {
  SP_CHECK(x.defined() && x.dim() >= 2 && x.size(1) == num_channels_,
           "GroupNorm: expected an input [N, ", num_channels_, ", *], got ",
           x.defined() ? x.shape() : Shape{});
  return ag::group_norm(x, num_groups_, affine_ ? param("weight") : ag::Var(),
                        affine_ ? param("bias") : ag::Var(), eps_);
}

InstanceNorm2d::InstanceNorm2d(int64_t num_features, const BatchNormOptions& options)
    : UnaryModule("InstanceNorm2d"), num_features_(num_features), options_(options) {
  SP_CHECK(num_features > 0, "InstanceNorm2d: expected a positive num_features, got ",
           num_features);
  if (options.affine) {
    register_parameter("weight", ones({num_features}));
    register_parameter("bias", zeros({num_features}));
  }
  if (options.track_running_stats) {
    register_buffer("running_mean", zeros({num_features}));
    register_buffer("running_var", ones({num_features}));
    register_buffer("num_batches_tracked", zeros({}, DType::I64));
  }
}

ag::Var InstanceNorm2d::forward(const ag::Var& in) {
  SP_CHECK(
      in.defined() && (in.dim() == 4 || in.dim() == 3) && in.size(in.dim() - 3) == num_features_,
      "InstanceNorm2d: expected an input [N, ", num_features_, ", H, W] or [", num_features_,
      ", H, W], got ", in.defined() ? in.shape() : Shape{});
  const ag::Var x = in.dim() == 3 ? ag::unsqueeze(in, 0) : in;
  ag::Var w = options_.affine ? param("weight") : ag::Var();
  ag::Var b = options_.affine ? param("bias") : ag::Var();
  ag::Var y;
  if (options_.track_running_stats && !is_training()) {
    // Eval with tracked statistics: a per-channel affine map, as batch norm in eval mode.
    y = ag::batch_norm(x, w, b, buffer("running_mean"), buffer("running_var"), false, 0.0,
                       options_.eps);
  } else {
    y = ag::instance_norm(x, w, b, options_.eps);
    if (options_.track_running_stats) {
      // Running statistics: the per-sample mean and unbiased variance, averaged over N.
      Tensor& count = buffer("num_batches_tracked");
      add_(count, Scalar(1));
      const double momentum =
          options_.momentum ? *options_.momentum : 1.0 / double(count.cpu().item<int64_t>());
      const Tensor xs = x.data().flatten(2);
      const Tensor mean = sp::mean(sp::mean(xs, {2}), {0});
      const Tensor var = sp::mean(sp::var(xs, {2}, 1.0), {0});
      Tensor& rm = buffer("running_mean");
      Tensor& rv = buffer("running_var");
      rm.copy_(rm * (1.0 - momentum) + mean.to(rm.dtype()) * momentum);
      rv.copy_(rv * (1.0 - momentum) + var.to(rv.dtype()) * momentum);
    }
  }
  return in.dim() == 3 ? ag::squeeze(y, 0) : y;
}

}  // namespace sp::nn
