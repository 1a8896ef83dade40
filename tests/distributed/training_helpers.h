// Pieces of the hand-written training loops of the data-parallel tests: a small conv
// model, the batch slices, the loss, the SGD step, and how the model gets its normalization layer
// (BatchNorm2d for the one-process reference, SyncBatchNorm for the ranks).
#pragma once

#include <functional>
#include <memory>

#include "autograd/functions/elementwise.h"
#include "autograd/functions/reduce.h"
#include "nn/layers.h"
#include "tensor/ops/elementwise.h"
#include "tensor/ops/random.h"

namespace sp::test {

using MakeNorm = std::function<std::shared_ptr<nn::UnaryModule>(int64_t channels)>;

// f64 on `device`: `blocks` x (3x3 conv to 4 channels, norm, ReLU) from 2 input channels,
// then a 1x1 conv to 3 channels; weights drawn from Generator(seed) in layer order.
inline std::shared_ptr<nn::Sequential> make_conv_norm_model(uint64_t seed, const MakeNorm& norm,
                                                            Device device, int blocks) {
  Generator gen(seed);
  auto model = std::make_shared<nn::Sequential>();
  for (int b = 0; b < blocks; ++b) {
    model->push_back(std::make_shared<nn::Conv2d>(b == 0 ? 2 : 4, 4, 3, 1, 1, gen));
    model->push_back(norm(4));
    model->push_back(std::make_shared<nn::ReLU>());
  }
  model->push_back(std::make_shared<nn::Conv2d>(4, 3, 1, 1, 0, gen));
  model->to(DType::F64);
  model->to(device);
  return model;
}

// A global batch of f64 inputs [.., 2, h, w] and targets [.., 3, h, w] on `device`
// (Generator(seed)), per_rank examples per rank, and this rank's slice of both.
struct RankBatch {
  Tensor x_all, t_all, x, t;
};
inline RankBatch rank_batch(int rank, int world_size, int64_t per_rank, int64_t h, int64_t w,
                            uint64_t seed, Device device) {
  Generator gen(seed);
  RankBatch b;
  b.x_all = randn({per_rank * world_size, 2, h, w}, gen, DType::F64).to(device);
  b.t_all = randn({per_rank * world_size, 3, h, w}, gen, DType::F64).to(device);
  b.x = b.x_all.narrow(0, rank * per_rank, per_rank);
  b.t = b.t_all.narrow(0, rank * per_rank, per_rank);
  return b;
}

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
