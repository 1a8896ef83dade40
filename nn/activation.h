// Activation layers (torch.nn.ReLU, LeakyReLU, GELU, PReLU) over sp::ag; only PReLU has
// a parameter (weight [num_parameters], 0.25 at init, like PyTorch).
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

// torch.nn.GELU: exact (erf, approximate='none') by default, or the tanh approximation.
enum class GeluApproximate { None, Tanh };
class GELU : public UnaryModule {
 public:
  explicit GELU(GeluApproximate approximate = GeluApproximate::None)
      : UnaryModule("GELU"), approximate_(approximate) {}
  ag::Var forward(const ag::Var& x) override;
  GeluApproximate approximate() const { return approximate_; }

 private:
  GeluApproximate approximate_;
};

// torch.nn.PReLU: x where x > 0, else weight[c] x over channel dim 1 (num_parameters = 1:
// one slope shared by every channel). DISK's U-Net uses one slope per channel.
class PReLU : public UnaryModule {
 public:
  explicit PReLU(int64_t num_parameters = 1, double init = 0.25);
  ag::Var forward(const ag::Var& x) override;
  int64_t num_parameters() const { return num_parameters_; }

 private:
  int64_t num_parameters_;
};

}  // namespace sp::nn
