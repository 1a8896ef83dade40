// Layers (torch.nn names, parameter names and default initialisation): Conv2d,
// MaxPool2d, AvgPool2d here; this header also brings in the other layer families.
#pragma once

#include "nn/activation.h"
#include "nn/containers.h"
#include "nn/dropout.h"
#include "nn/functional.h"
#include "nn/linear.h"
#include "nn/normalization.h"
#include "tensor/ops/random.h"

namespace sp::nn {

struct Conv2dOptions {
  int64_t in_channels = 1, out_channels = 1;
  std::array<int64_t, 2> kernel{3, 3};
  Conv2dArgs args;  // stride, padding, dilation, groups
  bool bias = true;
};

class Conv2d : public UnaryModule {
 public:
  // weight [out, in / groups, kh, kw] ~ kaiming_uniform(a = sqrt(5)), bias U(+-1/sqrt(fan_in)).
  explicit Conv2d(const Conv2dOptions& options, Generator& gen = default_generator());
  // Shorthand: Conv2d(in, out, k, stride, padding).
  Conv2d(int64_t in, int64_t out, int64_t kernel, int64_t stride = 1, int64_t padding = 0,
         Generator& gen = default_generator());
  ag::Var forward(const ag::Var& x) override;
  const Conv2dOptions& options() const { return options_; }

 private:
  Conv2dOptions options_;
};

class MaxPool2d : public UnaryModule {
 public:
  explicit MaxPool2d(const Pool2dArgs& args) : UnaryModule("MaxPool2d"), args_(args) {}
  ag::Var forward(const ag::Var& x) override { return F::max_pool2d(x, args_); }

 private:
  Pool2dArgs args_;
};

class AvgPool2d : public UnaryModule {
 public:
  explicit AvgPool2d(const Pool2dArgs& args) : UnaryModule("AvgPool2d"), args_(args) {}
  ag::Var forward(const ag::Var& x) override { return F::avg_pool2d(x, args_); }

 private:
  Pool2dArgs args_;
};

}  // namespace sp::nn
