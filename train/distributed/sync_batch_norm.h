// SyncBatchNorm: batch normalisation whose training statistics are those of the global
// batch (all ranks together), torch.nn.SyncBatchNorm. Parameters and buffers are named
// like nn::BatchNorm2d (weight, bias, running_mean, running_var,
// num_batches_tracked), so state dicts and checkpoints move freely between the two.
//
// Training forward: per-channel sum, sum of squares and element count are all-reduced
// (one collective of 2C + 1 f64 values); the global mean and biased variance normalise,
// and the running statistics update with the global unbiased variance. Backward
// all-reduces the per-channel sums of dy and dy * (x - mean) (one collective of 2C
// values). weight/bias gradients stay local, as in PyTorch: the GradientBucketer
// averages them with the others. Eval mode is plain batch norm with the running stats.
// At world size 1 it equals BatchNorm2d.
#pragma once

#include <memory>

#include "nn/containers.h"
#include "train/distributed/communicator.h"

namespace sp::train {

// Functional form: x [N, C, *]; weight and bias ([C]) may be undefined; running_mean and
// running_var are updated in place when defined. Every rank must call it.
ag::Var sync_batch_norm(const ag::Var& x, const ag::Var& weight, const ag::Var& bias,
                        Tensor running_mean, Tensor running_var, bool training, double momentum,
                        double eps, std::shared_ptr<Communicator> comm);

class SyncBatchNorm : public nn::UnaryModule {
 public:
  SyncBatchNorm(int64_t channels, std::shared_ptr<Communicator> comm, double eps = 1e-5,
                double momentum = 0.1);
  ag::Var forward(const ag::Var& x) override;
  int64_t channels() const { return channels_; }

 private:
  int64_t channels_;
  double eps_, momentum_;
  std::shared_ptr<Communicator> comm_;
};

// Replaces every BatchNorm2d below `root` (found by type name) by a SyncBatchNorm over
// `comm` holding the same parameters, buffers, eps, momentum and train/eval mode; returns
// how many were replaced. Call before the model moves to its device.
int convert_sync_batch_norm(nn::Module& root, std::shared_ptr<Communicator> comm);

}  // namespace sp::train
