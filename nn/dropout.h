// torch.nn.Dropout: in training zeroes elements with probability p and scales the rest
// by 1 / (1 - p) (Philox mask from the generator given at construction); identity in eval.
#pragma once

#include "nn/containers.h"
#include "tensor/ops/random.h"

namespace sp::nn {

class Dropout : public UnaryModule {
 public:
  // `gen` must outlive the layer.
  explicit Dropout(double p = 0.5, Generator& gen = default_generator());
  ag::Var forward(const ag::Var& x) override;
  double p() const { return p_; }

 private:
  double p_;
  Generator* gen_;
};

}  // namespace sp::nn
