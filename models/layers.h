// Layers SuperPoint needs that nn/ does not have yet: ReLU and BatchNorm2d (torch.nn
// names, parameters and buffers, over sp::ag::relu / sp::ag::batch_norm). They belong
// in nn/layers.h; move them there once nn grows its own (names and layout stay).
#pragma once

#include "nn/containers.h"

namespace sp::models {

class ReLU : public nn::UnaryModule {
 public:
  ReLU() : nn::UnaryModule("ReLU") {}
  ag::Var forward(const ag::Var& x) override;
};

// torch.nn.BatchNorm2d(channels, eps, momentum): weight (ones), bias (zeros),
// running_mean, running_var, num_batches_tracked. Training mode normalises with the
// batch statistics and updates the running ones; eval mode uses the running ones.
class BatchNorm2d : public nn::UnaryModule {
 public:
  explicit BatchNorm2d(int64_t channels, double eps = 1e-5, double momentum = 0.1);
  ag::Var forward(const ag::Var& x) override;

 private:
  int64_t channels_;
  double eps_, momentum_;
};

}  // namespace sp::models
