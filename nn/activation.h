// Activation layers (torch.nn.ReLU, LeakyReLU, GELU): no parameters, over sp::ag.
#pragma once

#include "nn/containers.h"

namespace sp::nn {

class ReLU : public UnaryModule {
 public:
  ReLU() : UnaryModule("ReLU") {}
  ag::Var forward(const ag::Var& x) override;
};

class LeakyReLU : public UnaryModule {
 public:
  explicit LeakyReLU(double negative_slope = 0.01)
      : UnaryModule("LeakyReLU"), negative_slope_(negative_slope) {}
  ag::Var forward(const ag::Var& x) override;
  double negative_slope() const { return negative_slope_; }

 private:
  double negative_slope_;
};

// The exact (erf) GELU, torch.nn.GELU(approximate='none').
class GELU : public UnaryModule {
 public:
  GELU() : UnaryModule("GELU") {}
  ag::Var forward(const ag::Var& x) override;
};

}  // namespace sp::nn
