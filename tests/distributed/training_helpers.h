// Pieces of the hand-written training loops of the data-parallel tests: the loss, the
// SGD step, and how a test model gets its normalization layer (BatchNorm2d for the
// one-process reference, SyncBatchNorm for the ranks).
#pragma once

#include <functional>
#include <memory>

#include "autograd/functions/elementwise.h"
#include "autograd/functions/reduce.h"
#include "nn/layers.h"
#include "tensor/ops/elementwise.h"

namespace sp::test {

using MakeNorm = std::function<std::shared_ptr<nn::UnaryModule>(int64_t channels)>;

inline ag::Var mse(nn::Sequential& model, const Tensor& x, const Tensor& target) {
  return ag::mean(ag::square(ag::sub(model(ag::Var(x)), ag::Var(target))));
}

inline void sgd_step(nn::Module& model, double lr) {
  for (ag::Var& p : model.parameters()) {
    Tensor data = p.data();
    sub_(data, p.grad(), Scalar(lr));
  }
}

}  // namespace sp::test
