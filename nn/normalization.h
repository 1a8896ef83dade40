// Normalisation layers: torch.nn.BatchNorm2d, LayerNorm, GroupNorm and InstanceNorm2d
// (parameter and buffer names, defaults and train/eval behaviour as in PyTorch). LayerNorm,
// GroupNorm and InstanceNorm2d run one fused kernel forward and one backward.
#pragma once

#include <optional>
#include <vector>

#include "nn/containers.h"

namespace sp::nn {

struct BatchNormOptions {
  double eps = 1e-5;
  // Running-stat update factor; nullopt = cumulative average (factor 1 / batches seen).
  std::optional<double> momentum = 0.1;
  bool affine = true;               // weight (ones) and bias (zeros)
  bool track_running_stats = true;  // running_mean, running_var, num_batches_tracked (i64)
};

// Input [N, C, H, W]. Training (or no tracked stats): batch statistics, and the running
// ones are updated (unbiased variance); eval: the running statistics.
class BatchNorm2d : public UnaryModule {
 public:
  explicit BatchNorm2d(int64_t num_features, const BatchNormOptions& options = {});
  BatchNorm2d(int64_t num_features, double eps, double momentum = 0.1)
      : BatchNorm2d(num_features, BatchNormOptions{eps, momentum}) {}
  ag::Var forward(const ag::Var& x) override;
  int64_t num_features() const { return num_features_; }
  const BatchNormOptions& options() const { return options_; }

 private:
  int64_t num_features_;
  BatchNormOptions options_;
};

// Normalises over the trailing dims given by normalized_shape (biased variance), then
// weight (ones) and bias (zeros) of that shape when elementwise_affine.
class LayerNorm : public UnaryModule {
 public:
  explicit LayerNorm(std::vector<int64_t> normalized_shape, double eps = 1e-5,
                     bool elementwise_affine = true);
  ag::Var forward(const ag::Var& x) override;
  const std::vector<int64_t>& normalized_shape() const { return normalized_shape_; }

 private:
  std::vector<int64_t> normalized_shape_;
  double eps_;
  bool affine_;
};

// Statistics per (sample, group of num_channels / num_groups channels); affine weight
// (ones) and bias (zeros) [num_channels].
class GroupNorm : public UnaryModule {
 public:
  GroupNorm(int64_t num_groups, int64_t num_channels, double eps = 1e-5, bool affine = true);
  ag::Var forward(const ag::Var& x) override;

 private:
  int64_t num_groups_, num_channels_;
  double eps_;
  bool affine_;
};

// Input [N, C, H, W] (or unbatched [C, H, W]); each (sample, channel) normalised over its
// pixels. PyTorch's defaults: affine = false, track_running_stats = false (DISK's U-Net).
// With track_running_stats, training also updates running_mean / running_var (the
// per-sample statistics averaged over the batch, unbiased variance) and eval normalises
// with them.
class InstanceNorm2d : public UnaryModule {
 public:
  explicit InstanceNorm2d(int64_t num_features,
                          const BatchNormOptions& options = {1e-5, 0.1, false, false});
  ag::Var forward(const ag::Var& x) override;

 private:
  int64_t num_features_;
  BatchNormOptions options_;
};

}  // namespace sp::nn
