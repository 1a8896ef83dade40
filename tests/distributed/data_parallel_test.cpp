// Data parallelism end to end on a small conv + batch-norm model trained by a
// hand-written SGD loop: every rank holds a slice of the global batch, its model uses
// SyncBatchNorm and the GradientBucketer; a reference model (BatchNorm2d) trained by one
// process on the concatenated batch (computed on every rank) must give the same
// averaged gradients, parameters and running statistics.
#include "train/distributed/data_parallel.h"

#include <gtest/gtest.h>

#include <functional>

#include "autograd/functions/elementwise.h"
#include "autograd/functions/reduce.h"
#include "distributed/training_helpers.h"
#include "distributed/world.h"
#include "helpers/test_helpers.h"
#include "nn/layers.h"
#include "tensor/ops/creation.h"
#include "tensor/ops/elementwise.h"
#include "tensor/ops/random.h"
#include "train/distributed/gradient_bucketer.h"
#include "train/distributed/sync_batch_norm.h"

namespace sp::test {
namespace {

using train::Communicator;

// Trains both models for `steps` steps and compares after each.
void check_matches_single_process(std::shared_ptr<Communicator> comm, Device device,
                                  size_t bucket_bytes, int steps = 3) {
  const auto [x_all, t_all, x, t] =
      rank_batch(comm->rank(), comm->world_size(), 2, 6, 5, 99, device);

  auto reference = make_conv_norm_model(
      1000, [](int64_t c) { return std::make_shared<nn::BatchNorm2d>(c); }, device, 1);
  // Different initial weights per rank: broadcast_parameters must make them rank 0's.
  auto model = make_conv_norm_model(
      1000 + uint64_t(comm->rank()),
      [&](int64_t c) { return std::make_shared<train::SyncBatchNorm>(c, comm); }, device, 1);
  train::broadcast_parameters(*model, *comm);
  EXPECT_TRUE(train::parameters_in_sync(*model, *comm));
  for (const auto& [name, value] : reference->state_dict())
    EXPECT_TRUE(all_close(model->state_dict().at(name), value, 0, 0)) << name << " after broadcast";

  train::GradientBucketer bucketer(*model, comm, bucket_bytes);
  for (int step = 0; step < steps; ++step) {
    reference->zero_grad();
    model->zero_grad();
    ag::Var ref_loss = mse(*reference, x_all, t_all);
    ag::backward(ref_loss);
    ag::Var loss = mse(*model, x, t);
    ag::backward(loss);
    bucketer.allreduce_gradients();

    Tensor mean_loss = loss.data().clone();
    comm->allreduce_mean(mean_loss);
    EXPECT_TRUE(all_close(mean_loss, ref_loss.data(), 1e-10, 1e-12)) << "loss at step " << step;
    auto ref_params = reference->named_parameters();
    auto params = model->named_parameters();
    for (size_t i = 0; i < params.size(); ++i)
      EXPECT_TRUE(all_close(params[i].second.grad(), ref_params[i].second.grad(), 1e-9, 1e-12))
          << "averaged gradient of " << params[i].first << " at step " << step;
    sgd_step(*reference, 0.1);
    sgd_step(*model, 0.1);
  }
  nn::TensorMap ref_state = reference->state_dict(), state = model->state_dict();
  ASSERT_EQ(state.size(), ref_state.size());
  for (const auto& [name, value] : ref_state)
    EXPECT_TRUE(all_close(state.at(name), value, 1e-9, 1e-12))
        << name << " after " << steps << " steps";
  EXPECT_TRUE(train::parameters_in_sync(*model, *comm));
}

TEST(DataParallel, ThreeSgdStepsEqualOneProcessOnTheConcatenatedBatch) {
  check_matches_single_process(world(), kCPU, train::GradientBucketer::kDefaultBucketBytes);
}

TEST(DataParallel, SmallBucketsGiveTheSameResult) {
  check_matches_single_process(world(), kCPU, 100);  // a bucket per parameter or two
}

TEST(DataParallel, WorldSizeOneEqualsThePlainLoop) {
  check_matches_single_process(std::make_shared<train::SingleProcessCommunicator>(), kCPU, 100);
}

TEST(DataParallelGpu, NcclMatchesOneProcess) {
  SP_SKIP_WITHOUT_GPU();
  auto nccl = nccl_world();
  check_matches_single_process(nccl, train::device_for_rank(cuda_device(0), nccl->local_rank()),
                               256);
}

TEST(GradientBucketer, ReverseRegistrationOrderInBoundedBuckets) {
  auto comm = std::make_shared<train::SingleProcessCommunicator>();
  std::vector<ag::Var> params{ag::Var(zeros({10}), true, "a"), ag::Var(zeros({30}), true, "b"),
                              ag::Var(zeros({5}), false, "frozen"),
                              ag::Var(zeros({20}), true, "c")};
  // 30 floats = 120 bytes: c (80 B) + b (120 B) fill the first bucket, a starts the next.
  train::GradientBucketer bucketer(params, comm, 120);
  EXPECT_EQ(bucketer.bucket_layout(), (std::vector<std::vector<size_t>>{{2, 1}, {0}}));
  train::GradientBucketer one(params, comm);
  EXPECT_EQ(one.bucket_count(), 1u);
}

TEST(GradientBucketer, UnusedParameterOnSomeRanksGetsTheAverage) {
  auto comm = world();
  ag::Var used(zeros({3}), true, "used"), sometimes(zeros({2}), true, "sometimes"),
      never(zeros({2}), true, "never");
  used.set_grad(full({3}, double(comm->rank() + 1)));
  if (comm->rank() == 0) sometimes.set_grad(full({2}, 4.0));
  train::GradientBucketer bucketer({used, sometimes, never}, comm, 8);
  bucketer.allreduce_gradients();
  const double n = comm->world_size();
  EXPECT_TRUE(all_close(used.grad(), full({3}, (n + 1) / 2), 1e-6, 0));
  ASSERT_TRUE(sometimes.grad().defined());
  EXPECT_TRUE(all_close(sometimes.grad(), full({2}, 4.0 / n), 1e-6, 0));
  EXPECT_FALSE(never.grad().defined());
}

}  // namespace
}  // namespace sp::test
